"""The indicators the statistics job computes (`resources/indicators.json`), read strictly.

Every indicator is data: what makes a case (its *basis*), which cases count (the
*population*, a condition in the forms' JSON condition language), which of them meet the
measure (*numerator*) or what is measured (*measure*, in days), and the date that puts a
case in a month. Conditions read the patient's linked messages as `<form>.<field>`, the
pseudo-fields `<form>.received_date` and `patient.sex`, and the names an indicator derives
(`derive`, see `registry_server.statistics.expressions`).

Unknown keys, registries, forms, fields, derived names and option codes are a
`DefinitionError` naming the file and key, on the first `shipped_indicators(catalogue)` (the
job, or the first GET /statistics; calling it in `create_app` would stop a server with a wrong
file at start). An entry with
`"registry": "*"` (id `*.<name>`) is a template made into one indicator per registry.

    indicators = load_indicators(catalogue)            # list[Indicator], in file order
    shipped_indicators(catalogue)                       # the shipped file, read once
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from desktop_app.forms import Catalogue, DefinitionError, FormDefinition, condition_fields
from desktop_app.forms._parse import Reader, read_json
from desktop_app.forms.conditions import Condition, condition_problems
from desktop_app.resources import resources_dir
from registry_server.statistics.expressions import Expression, read_expression

GROUPS = ("clinical", "administrative")
KINDS = {"proportion": "percent", "median_days": "days", "count": "count"}
BREAKDOWNS = ("by_region", "by_hospital")
DIRECTIONS = ("higher", "lower")
REMINDER_STATES = ("open", "overdue")
# Pseudo-fields a condition may read besides the forms' fields.
PATIENT_FIELDS = {"patient.sex": ("F", "M")}
RECEIVED_DATE = "received_date"

_ID = re.compile(r"^(\*|[a-z][a-z0-9_]*)\.[a-z][a-z0-9_]*$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_FILE_KEYS = frozenset({"indicators"})
_INDICATOR_KEYS = frozenset(
    {
        "id",
        "registry",
        "group",
        "kind",
        "title",
        "description",
        "target",
        "target_by_registry",
        "breakdown",
        "basis",
        "derive",
        "month",
        "population",
        "numerator",
        "measure",
    }
)
_BASES = frozenset({"messages", "expected", "cases", "reminders"})


@dataclass(frozen=True)
class Basis:
    """What one counted thing is.

    * `messages`: a received message of the registry (month received);
    * `expected`: an expected case of `event` (month of the event); the numerator is a
      matching message of `form`: same patient and received on or after the event's day, or
      one made from the case's reminder. Cases less than `grace_days` old (not due yet) and
      cases whose reminder the unit answered (not ours, patient moved) are left out;
    * `cases`: a patient's messages in the registry linked by identity number, one case per
      patient with a message of `anchor` (its unit is the case's unit);
    * `reminders`: a reminder in `state` ("open" or "overdue") as of the run.
    """

    kind: str
    anchor: str | None = None
    event: str | None = None
    form: str | None = None
    state: str | None = None
    grace_days: int = 0


@dataclass(frozen=True)
class Indicator:
    id: str
    registry: str
    group: str
    kind: str
    title: Mapping[str, str]
    description: Mapping[str, str]
    target: Mapping[str, Any] | None
    basis: Basis
    breakdown: str | None = None
    derive: tuple[tuple[str, Expression], ...] = ()
    month: str | None = None
    population: Condition | None = None
    numerator: Condition | None = None
    measure: str | None = None
    note: str | None = None
    forms: frozenset[str] = field(default_factory=frozenset)  # forms its conditions read

    @property
    def unit(self) -> str:
        return KINDS[self.kind]


def indicators_path() -> Path:
    return resources_dir() / "indicators.json"


def load_indicators(catalogue: Catalogue, path: Path | None = None) -> list[Indicator]:
    """Read and check the file against the catalogue; templates made per registry."""
    path = Path(path) if path else indicators_path()
    source = str(path)
    r = Reader(read_json(path), source, "", _FILE_KEYS)
    if not r.has("source"):
        raise r.fail("source", "missing (say where the indicators and targets come from)")
    items = r.get("indicators", list, required=True)
    if not items:
        raise r.fail("indicators", "must list at least one indicator")
    indicators: list[Indicator] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        for indicator in _read_entry(r.child(item, f"indicators[{i}]", _INDICATOR_KEYS), catalogue):
            if indicator.id in seen:
                raise DefinitionError(source, f"indicators[{i}].id", f"duplicate {indicator.id!r}")
            seen.add(indicator.id)
            indicators.append(indicator)
    return indicators


@lru_cache(maxsize=4)
def shipped_indicators(catalogue: Catalogue) -> tuple[Indicator, ...]:
    """The shipped file, read once per catalogue (it does not change while running)."""
    return tuple(load_indicators(catalogue))


def _read_entry(r: Reader, catalogue: Catalogue) -> list[Indicator]:
    ident = r.get("id", str, required=True)
    registry = r.get("registry", str, required=True)
    if not _ID.match(ident):
        raise r.fail("id", "an id is <registry>.<name> (lower-case letters, digits and _)")
    if not ident.startswith(registry + "."):
        raise r.fail("id", f"must start with its registry ({registry}.)")
    known = [reg.id for reg in catalogue.registries()]
    by_registry = r.get("target_by_registry", dict) or {}
    if registry != "*":
        _known_registry(r, "registry", registry, known)
        if by_registry:
            raise r.fail("target_by_registry", 'only a template ("registry": "*") has one')
        return [_read_one(r, catalogue, registry, ident, r.raw("target"))]
    for name in by_registry:
        _known_registry(
            r.child(by_registry, "target_by_registry", frozenset(by_registry)), name, name, known
        )
    made = []
    for reg in known:
        if not _has_forms(catalogue, reg, r):
            continue  # a registry without the forms the template reads gets no copy
        target = by_registry.get(reg, r.raw("target"))
        made.append(_read_one(r, catalogue, reg, f"{reg}.{ident[2:]}", target))
    return made


def _has_forms(catalogue: Catalogue, registry: str, r: Reader) -> bool:
    basis = r.raw("basis")
    if not isinstance(basis, Mapping):
        return True  # _read_one names the problem
    spec = next(iter(basis.values()), None) if len(basis) == 1 else None
    form = spec.get("anchor") or spec.get("form") if isinstance(spec, Mapping) else None
    return form is None or _latest(catalogue, registry, form) is not None


def _read_one(
    r: Reader, catalogue: Catalogue, registry: str, ident: str, raw_target: object
) -> Indicator:
    group = r.get("group", str, required=True)
    if group not in GROUPS:
        raise r.fail("group", f"must be one of {', '.join(GROUPS)}")
    kind = r.get("kind", str, required=True)
    if kind not in KINDS:
        raise r.fail("kind", f"must be one of {', '.join(KINDS)}")
    breakdown = r.get("breakdown", str)
    if breakdown is not None and breakdown not in BREAKDOWNS:
        raise r.fail("breakdown", f"must be one of {', '.join(BREAKDOWNS)}")
    target = _read_target(r, raw_target, ident)
    basis = _read_basis(r, catalogue, registry, kind)
    refs = _Refs(r, catalogue, registry)
    derive: list[tuple[str, Expression]] = []
    if basis.kind in ("messages", "reminders", "expected"):
        for key in ("derive", "month", "population", "numerator", "measure"):
            if r.has(key):
                raise r.fail(key, f'does not apply to a "{basis.kind}" basis')
    else:
        data = r.get("derive", dict) or {}
        for name, expr in data.items():
            if not _NAME.match(name):
                raise r.fail(f"derive.{name}", "a name is lower-case letters, digits and _")
            derive.append((name, read_expression(expr, refs, r.key(f"derive.{name}"))))
            refs.names.add(name)
        refs.check(r.get("month", str, required=True), r.key("month"))
        _read_condition(r, "population", refs, required=True)
        _read_condition(r, "numerator", refs, required=kind == "proportion")
        if kind != "proportion" and r.has("numerator"):
            raise r.fail("numerator", "only a proportion has one")
        if kind == "median_days":
            refs.check(r.get("measure", str, required=True), r.key("measure"))
        elif r.has("measure"):
            raise r.fail("measure", "only a median_days indicator has one")
    note = r.raw("note")
    return Indicator(
        id=ident,
        registry=registry,
        group=group,
        kind=kind,
        title=r.text("title", required=True) or {},
        description=r.text("description", required=True) or {},
        target=target,
        basis=basis,
        breakdown=breakdown,
        derive=tuple(derive),
        month=r.raw("month"),
        population=r.raw("population"),
        numerator=r.raw("numerator"),
        measure=r.raw("measure"),
        note=None if note is None else str(note),
        forms=frozenset(refs.forms | ({basis.anchor} if basis.anchor else set())),
    )


def _known_registry(r: Reader, key: str, registry: str, known: list[str]) -> None:
    if registry not in known:
        raise r.fail(key, f"unknown registry {registry!r}")


def _latest(catalogue: Catalogue, registry: str, form: str) -> FormDefinition | None:
    try:
        return catalogue.latest(registry, form)
    except KeyError:
        return None


def _read_target(r: Reader, raw: object, ident: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    t = Reader(raw, r.source, r.key("target"), frozenset({"min", "goal", "direction"}))
    low = t.get("min", (int, float, type(None)))
    goal = t.get("goal", (int, float, type(None)))
    direction = t.get("direction", str, required=True)
    if direction not in DIRECTIONS:
        raise t.fail("direction", f"must be one of {', '.join(DIRECTIONS)}")
    if low is None and goal is None:
        raise t.fail("min", f"{ident}: a target needs a min, a goal or both")
    if low is not None and goal is not None and _worse(goal, low, direction):
        raise t.fail("goal", "must be at least as good as min")
    return {"min": low, "goal": goal, "direction": direction}


def _worse(goal: float, low: float, direction: str) -> bool:
    return goal < low if direction == "higher" else goal > low


def _read_basis(r: Reader, catalogue: Catalogue, registry: str, kind: str) -> Basis:
    data = r.get("basis", dict, required=True)
    if len(data) != 1 or next(iter(data)) not in _BASES:
        raise r.fail("basis", f"needs exactly one of {', '.join(sorted(_BASES))}")
    name, spec = next(iter(data.items()))
    where = f"basis.{name}"
    if name == "messages":
        Reader(spec, r.source, r.key(where), frozenset())
        _kind(r, kind, ("count",), name)
        return Basis("messages")
    if name == "reminders":
        b = Reader(spec, r.source, r.key(where), frozenset({"state"}))
        state = b.get("state", str, required=True)
        if state not in REMINDER_STATES:
            raise b.fail("state", f"must be one of {', '.join(REMINDER_STATES)}")
        _kind(r, kind, ("count",), name)
        return Basis("reminders", state=state)
    if name == "expected":
        b = Reader(spec, r.source, r.key(where), frozenset({"event", "form", "grace_days"}))
        event = b.get("event", str, required=True)
        if not _NAME.match(event):
            raise b.fail("event", "an event code is lower-case letters, digits and _")
        form = b.get("form", str, required=True)
        if _latest(catalogue, registry, form) is None:
            raise b.fail("form", f"the catalogue has no form {registry}/{form}")
        grace = b.get("grace_days", int) or 0
        if isinstance(grace, bool) or not 0 <= grace <= 365:
            raise b.fail("grace_days", "must be a whole number of days from 0 to 365")
        _kind(r, kind, ("proportion",), name)
        return Basis("expected", event=event, form=form, grace_days=grace)
    b = Reader(spec, r.source, r.key(where), frozenset({"anchor"}))
    anchor = b.get("anchor", str, required=True)
    if _latest(catalogue, registry, anchor) is None:
        raise b.fail("anchor", f"the catalogue has no form {registry}/{anchor}")
    return Basis("cases", anchor=anchor)


def _kind(r: Reader, kind: str, allowed: tuple[str, ...], basis: str) -> None:
    if kind not in allowed:
        raise r.fail("kind", f'a "{basis}" basis gives {" or ".join(allowed)}, not {kind}')


def _read_condition(r: Reader, key: str, refs: _Refs, *, required: bool) -> None:
    condition = r.raw(key)
    if condition is None:
        if required:
            raise r.fail(key, "missing")
        return
    problems = condition_problems(condition, r.key(key))
    if problems:
        raise DefinitionError(r.source, *problems[0])
    for name in condition_fields(condition):
        refs.check(name, r.key(key))
    refs.check_codes(condition, r.key(key))


class _Refs:
    """Checks what an indicator's conditions and expressions name."""

    def __init__(self, r: Reader, catalogue: Catalogue, registry: str) -> None:
        self.r = r
        self.catalogue = catalogue
        self.registry = registry
        self.names: set[str] = set()  # derived so far
        self.forms: set[str] = set()

    def check(self, ref: object, where: str, *, group: bool = False) -> None:
        """`ref` names a field (a repeat group when `group`), a pseudo-field or a derived name."""
        if not isinstance(ref, str):
            raise DefinitionError(self.r.source, where, "must name a field")
        if not group and (ref in self.names or ref in PATIENT_FIELDS):
            return
        form, _, name = ref.partition(".")
        if not name:
            raise DefinitionError(
                self.r.source, where, f"{ref!r} is neither <form>.<field> nor a derived name"
            )
        definition = _latest(self.catalogue, self.registry, form)
        if definition is None:
            raise DefinitionError(
                self.r.source, where, f"{ref!r}: the catalogue has no form {self.registry}/{form}"
            )
        self.forms.add(form)
        if name == RECEIVED_DATE and not group:
            return
        found = self.field(form, name)
        if found is None or not self._top_level(form, name):
            raise DefinitionError(
                self.r.source, where, f"{ref!r}: {self.registry}/{form} has no field {name!r}"
            )
        if group != found.is_group:
            wanted = "a repeat group" if group else "a field outside a repeat group"
            raise DefinitionError(self.r.source, where, f"{ref!r} is not {wanted}")

    def field(self, form: str, name: str):  # type: ignore[no-untyped-def]
        """The field in the newest version of the form that has it."""
        for version in reversed(self.catalogue.versions(self.registry, form)):
            definition = self.catalogue.get(self.registry, form, version)
            if definition.has_field(name):
                return definition.field(name)
        return None

    def _top_level(self, form: str, name: str) -> bool:
        return any(
            self.catalogue.get(self.registry, form, v).is_top_level(name)
            for v in self.catalogue.versions(self.registry, form)
        )

    def check_codes(self, condition: Condition, where: str, row_group: Any = None) -> None:
        """Literal values compared with a choice field must be codes of that field."""
        for key in ("all", "any"):
            if key in condition:
                for child in condition[key]:
                    self.check_codes(child, where, row_group)
                return
        if "not" in condition:
            self.check_codes(condition["not"], where, row_group)
            return
        op, value, name = condition["op"], condition.get("value"), condition["field"]
        if op not in ("eq", "ne", "in", "not_in") or isinstance(value, Mapping):
            return
        values = value if isinstance(value, list) else [value]
        if name in PATIENT_FIELDS:
            allowed: frozenset[str] | None = frozenset(PATIENT_FIELDS[name])
        elif row_group is not None:
            found = row_group.row_field(name)
            allowed = found.allowed_codes() if found.is_choice or found.options else None
        elif "." in name and name not in self.names:
            form, _, field_name = name.partition(".")
            found = self.field(form, field_name)
            has_codes = found is not None and (found.is_choice or found.options)
            allowed = found.allowed_codes() if has_codes else None
        else:
            allowed = None
        unknown = [v for v in values if allowed is not None and v not in allowed]
        if unknown:
            raise DefinitionError(self.r.source, where, f"{unknown[0]!r} is not a code of {name!r}")
