"""The reminder rules the registry applies (`resources/reminder_rules.json`), shared by the
server's reminder job and the client that words a reminder's reason in the user's language.

Plain Python, no Qt, no HTTP. The file is checked strictly at load (unknown keys, unknown
registries, forms, events, sources and fields, texts missing a language, placeholders nobody
fills): a wrong rule stops the server at start, not silently at night.

    rules = load_reminder_rules(catalogue=catalogue)   # DefinitionError when the file is wrong
    rules.for_event("breast", "pathology_diagnosis")   # rules an expected case triggers
    rules.reason_text("no_assessment_after_pathology", params, "nb")
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from desktop_app.forms import Catalogue, DefinitionError, condition_fields
from desktop_app.forms._parse import Reader, read_json
from desktop_app.forms.conditions import Condition, condition_problems
from desktop_app.forms.text import fill, localized, placeholders
from desktop_app.resources import resources_dir

# What a reason text may name; the job fills every one of them (reason_params).
PARAMS = frozenset({"event", "event_date", "days", "due_days", "due_date", "source"})
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_RULE_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_FILE_KEYS = frozenset({"events", "sources", "rules"})
_RULE_KEYS = frozenset(
    {
        "id",
        "registry",
        "form",
        "trigger",
        "remind_after_days",
        "due_after_days",
        "reason_key",
        "reason",
    }
)
_TRIGGER_KEYS = frozenset({"event", "message"})
_MESSAGE_KEYS = frozenset({"form", "condition", "date_field"})


@dataclass(frozen=True)
class MessageTrigger:
    """A received message of `form` (same registry as the rule) for which `condition` holds
    on its values; the clock starts at its `date_field` (a row field of a repeat group: the
    earliest date among the rows)."""

    form: str
    date_field: str
    condition: Condition | None = None
    group: str | None = None  # the repeat group date_field is a row field of


@dataclass(frozen=True)
class Rule:
    id: str
    registry: str
    form: str  # the message the unit owes
    event: str | None  # an expected case's event starts the clock ...
    message: MessageTrigger | None  # ... or a received message does
    remind_after_days: int
    due_after_days: int
    reason_key: str
    reason: Mapping[str, str]  # {"nb", "en"} with {placeholders} from PARAMS
    note: str | None = None

    def reason_text(self, params: Mapping[str, object], lang: str = "en") -> str:
        return fill(localized(self.reason, lang), params)


@dataclass(frozen=True)
class ReminderRules:
    rules: tuple[Rule, ...]
    events: Mapping[str, Mapping[str, str]]  # event code -> {"nb", "en"}
    sources: Mapping[str, Mapping[str, str]]  # notification source code -> {"nb", "en"}
    reasons: Mapping[str, Mapping[str, str]]  # reason_key -> {"nb", "en"}
    source: str

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"No reminder rule {rule_id!r}")

    def for_event(self, registry: str, event: str) -> list[Rule]:
        return [r for r in self.rules if r.registry == registry and r.event == event]

    def event_rules(self) -> list[Rule]:
        return [r for r in self.rules if r.event is not None]

    def message_rules(self) -> list[Rule]:
        return [r for r in self.rules if r.message is not None]

    def reason_text(
        self, reason_key: str | None, params: Mapping[str, object], lang: str = "en"
    ) -> str | None:
        """The reason worded in `lang`, with the event and source codes worded too; None for
        a key these rules do not know (an older client: show the server's sentence)."""
        texts = self.reasons.get(reason_key or "")
        if texts is None:
            return None
        shown: dict[str, object] = dict(params)
        for name, table in (("event", self.events), ("source", self.sources)):
            code = shown.get(name)
            if isinstance(code, str) and code in table:
                shown[name] = localized(table[code], lang)
        return fill(localized(texts, lang), shown)


def reminder_rules_path() -> Path:
    return resources_dir() / "reminder_rules.json"


def load_reminder_rules(
    path: Path | None = None, catalogue: Catalogue | None = None
) -> ReminderRules:
    """Read and check the rules; with `catalogue`, also every registry, form and field they
    name (the server always passes it). DefinitionError names the file, key and problem."""
    path = Path(path) if path else reminder_rules_path()
    source = str(path)
    r = Reader(read_json(path), source, "", _FILE_KEYS)
    if not r.has("source"):
        raise r.fail("source", "missing (say where the rules and their deadlines come from)")
    events = _texts(r, "events")
    sources = _texts(r, "sources")
    rules: list[Rule] = []
    reasons: dict[str, Mapping[str, str]] = {}
    items = r.get("rules", list, required=True)
    if not items:
        raise r.fail("rules", "must list at least one rule")
    for i, item in enumerate(items):
        rule = _read_rule(r.child(item, f"rules[{i}]", _RULE_KEYS), events, catalogue)
        if any(known.id == rule.id for known in rules):
            raise DefinitionError(source, f"rules[{i}].id", f"duplicate rule id {rule.id!r}")
        same = reasons.setdefault(rule.reason_key, rule.reason)
        if dict(same) != dict(rule.reason):
            raise DefinitionError(
                source,
                f"rules[{i}].reason",
                f"differs from another rule's text for reason_key {rule.reason_key!r} (one "
                "key, one text: the client words the reason by its key)",
            )
        rules.append(rule)
    return ReminderRules(tuple(rules), events, sources, reasons, source)


@lru_cache(maxsize=4)
def shipped_rules(catalogue: Catalogue | None = None) -> ReminderRules:
    """The shipped file, read once per catalogue (it does not change while running)."""
    return load_reminder_rules(catalogue=catalogue)


def _texts(r: Reader, name: str) -> dict[str, Mapping[str, str]]:
    data = r.get(name, dict, required=True)
    child = r.child(data, name, frozenset(data))
    texts: dict[str, Mapping[str, str]] = {}
    for code in data:
        if not _ID.match(code):
            raise child.fail(code, "a code is lower-case letters, digits and _")
        texts[code] = child.text(code, required=True) or {}
    return texts


def _read_rule(r: Reader, events: Mapping[str, Any], catalogue: Catalogue | None) -> Rule:
    rule_id = r.get("id", str, required=True)
    if not _RULE_ID.match(rule_id):
        raise r.fail("id", "a rule id is <registry>.<name>, lower-case letters, digits and _")
    registry = r.get("registry", str, required=True)
    form = r.get("form", str, required=True)
    if not rule_id.startswith(registry + "."):
        raise r.fail("id", f"must start with its registry ({registry}.)")
    if catalogue is not None:
        _known_form(r, "registry", "form", catalogue, registry, form)
    remind = r.get("remind_after_days", int, required=True)
    due = r.get("due_after_days", int, required=True)
    if remind < 0:
        raise r.fail("remind_after_days", "must be 0 or more")
    if due < remind:
        raise r.fail("due_after_days", "must be at least remind_after_days")
    reason_key = r.get("reason_key", str, required=True)
    if not _ID.match(reason_key):
        raise r.fail("reason_key", "a key is lower-case letters, digits and _")
    reason = r.text("reason", required=True) or {}
    for lang, text in reason.items():
        unknown = placeholders(text) - PARAMS
        if unknown:
            raise r.fail(
                f"reason.{lang}",
                f"unknown placeholder {{{sorted(unknown)[0]}}} (known: "
                f"{', '.join(sorted(PARAMS))})",
            )
    event, message = _read_trigger(r, registry, events, catalogue)
    note = r.raw("note")
    return Rule(
        id=rule_id,
        registry=registry,
        form=form,
        event=event,
        message=message,
        remind_after_days=remind,
        due_after_days=due,
        reason_key=reason_key,
        reason=reason,
        note=None if note is None else str(note),
    )


def _read_trigger(
    r: Reader, registry: str, events: Mapping[str, Any], catalogue: Catalogue | None
) -> tuple[str | None, MessageTrigger | None]:
    t = r.child(r.get("trigger", dict, required=True), "trigger", _TRIGGER_KEYS)
    if t.has("event") == t.has("message"):
        raise r.fail("trigger", 'needs exactly one of "event" and "message"')
    if t.has("event"):
        event = t.get("event", str)
        if event not in events:
            raise t.fail("event", f'unknown event {event!r} (declare it under "events")')
        return event, None
    m = t.child(t.get("message", dict), "message", _MESSAGE_KEYS)
    form = m.get("form", str, required=True)
    date_field = m.get("date_field", str, required=True)
    condition = m.raw("condition")
    if condition is not None:
        problems = condition_problems(condition, m.key("condition"))
        if problems:
            where, problem = problems[0]
            raise DefinitionError(m.source, where, problem)
    group = None
    if catalogue is not None:
        _known_form(m, "form", "form", catalogue, registry, form)
        group = _date_field_group(m, catalogue, registry, form, date_field)
        for name in condition_fields(condition) if condition is not None else ():
            if not _top_level_somewhere(catalogue, registry, form, name):
                raise m.fail(
                    "condition", f"names {name!r}, which is not a field of {registry}/{form}"
                )
        for leaf in _leaves(condition) if condition is not None else ():
            bad = _unknown_code(catalogue, registry, form, leaf)
            if bad is not None:
                raise m.fail(
                    "condition", f"{leaf['field']!r} has no option {bad!r} in {registry}/{form}"
                )
    return None, MessageTrigger(form, date_field, condition, group)


def _known_form(
    r: Reader, registry_key: str, form_key: str, catalogue: Catalogue, registry: str, form: str
) -> None:
    try:
        catalogue.registry(registry)
    except KeyError:
        raise r.fail(registry_key, f"unknown registry {registry!r}") from None
    try:
        catalogue.latest(registry, form)
    except KeyError:
        raise r.fail(form_key, f"the catalogue has no form {registry}/{form}") from None


def _date_field_group(
    m: Reader, catalogue: Catalogue, registry: str, form: str, date_field: str
) -> str | None:
    """The repeat group `date_field` is a row field of (None: top level); it must be a date
    field in some version of the form."""
    for version in catalogue.versions(registry, form):
        definition = catalogue.get(registry, form, version)
        if not definition.has_field(date_field):
            continue
        field = definition.field(date_field)
        if field.type != "date":
            raise m.fail("date_field", f"{date_field!r} is a {field.type} field, not a date")
        if definition.is_top_level(date_field):
            return None
        return next(g.id for g in definition.fields() if any(f.id == date_field for f in g.fields))
    raise m.fail("date_field", f"{registry}/{form} has no field {date_field!r}")


def _top_level_somewhere(catalogue: Catalogue, registry: str, form: str, name: str) -> bool:
    return any(
        catalogue.get(registry, form, v).is_top_level(name)
        for v in catalogue.versions(registry, form)
    )


def _leaves(condition: Condition) -> list[Mapping[str, Any]]:
    for key in ("all", "any"):
        if key in condition:
            return [leaf for child in condition[key] for leaf in _leaves(child)]
    if "not" in condition:
        return _leaves(condition["not"])
    return [condition]


def _unknown_code(
    catalogue: Catalogue, registry: str, form: str, leaf: Mapping[str, Any]
) -> object | None:
    """A code the leaf compares a choice field with that no version of the form offers."""
    value = leaf.get("value")
    if leaf.get("op") not in ("eq", "ne", "in", "not_in") or isinstance(value, Mapping):
        return None
    offered: set[str] = set()
    for version in catalogue.versions(registry, form):
        definition = catalogue.get(registry, form, version)
        if definition.has_field(leaf["field"]):
            f = definition.field(leaf["field"])
            if not f.is_choice:
                return None
            offered.update(entry.code for entry in f.options)
            if f.codes is not None:
                offered.update(f.codes.codes())
    for code in value if isinstance(value, list) else [value]:
        if code not in offered:
            return code
    return None
