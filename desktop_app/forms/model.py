"""The form-definition model: frozen dataclasses built from `resources/forms/**.json`."""

from __future__ import annotations

import copy
import re
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._parse import Reader
from .codelists import CodeEntry, CodeList
from .computed import evaluate_expression, expression_fields, expression_problems
from .conditions import (
    Condition,
    condition_fields,
    condition_problems,
    evaluate_condition,
    is_answered,
)
from .errors import DefinitionError
from .fragments import expand_includes
from .messages import message_texts
from .migration import MigrationDef
from .text import fill, localized

FIELD_TYPES = (
    "text",
    "note",
    "integer",
    "decimal",
    "date",
    "yes_no_unknown",
    "single_choice",
    "multiple_choice",
    "code",
    "identity_number",
    "repeat_group",
    "computed",
)
CHOICE_TYPES = frozenset({"yes_no_unknown", "single_choice", "multiple_choice", "code"})
NUMBER_TYPES = frozenset({"integer", "decimal"})
TEXT_TYPES = frozenset({"text", "note"})
YES_NO_UNKNOWN_CODES = ("1", "0", "99")
SEVERITIES = ("error", "warning")
# Where a message may be passed on; `transfer_flags` says True only when the form's condition
# holds (NOPHO-Care: the Nordic childhood-cancer research database).
TRANSFER_TARGETS = ("nopho_care",)
_PRESENCE_ONLY = frozenset({"answered", "not_answered"})
_ROW_PATH = re.compile(r"^(?P<group>[^\[\].]+)\[(?P<index>\d+)\]\.(?P<field>[^\[\].]+)$")

_FIELD_KEYS = frozenset(
    {
        "id",
        "type",
        "label",
        "help",
        "required",
        "required_if",
        "relevant",
        "not_in_future",
        "options",
        "code_list",
        "unit",
        "min",
        "max",
        "max_length",
        "placeholder",
        "pattern",
        "filter_by",
        "examples",
        "example_omit",
        "fields",
        "checks",
        "min_rows",
        "max_rows",
        "row_label",
        "compute",
    }
)
_SECTION_KEYS = frozenset({"id", "title", "help", "fields"})
_CHECK_KEYS = frozenset({"id", "field", "assert", "when", "message", "severity"})
_FORM_KEYS = frozenset(
    {
        "registry",
        "form",
        "version",
        "title",
        "pathway_step",
        "sections",
        "checks",
        "code_lists",
        "migration",
        "transfer",
    }
)
_VALUE_TYPES = frozenset(FIELD_TYPES) - {"computed"}  # the types a person answers
_SIMPLE_TYPES = _VALUE_TYPES - {"repeat_group"}


@dataclass(frozen=True, eq=False)  # identity: usable as dict keys
class FilterBy:
    """A code field whose choices depend on an earlier answer: only entries whose
    `attribute` equals the value of `field` fit (hospitals of the chosen region)."""

    field: str
    attribute: str
    message: Mapping[str, str] | None = None


@dataclass(frozen=True, eq=False)  # identity: usable as dict keys
class FieldDef:
    id: str
    type: str
    label: Mapping[str, str]
    help: Mapping[str, str] | None = None
    required: bool = False
    required_if: Condition | None = None
    relevant: Condition | None = None
    not_in_future: bool = True  # dates only
    options: tuple[CodeEntry, ...] = ()
    code_list: str | None = None
    codes: CodeList | None = field(default=None, repr=False)  # the resolved code list
    unit: str | None = None
    min: int | float | None = None
    max: int | float | None = None
    max_length: int | None = None
    placeholder: Mapping[str, str] | None = None
    pattern: str | None = None  # text: a regex the whole answer must match
    filter_by: FilterBy | None = None
    examples: tuple[Any, ...] = ()  # sample answers for example_values()
    example_omit: bool = False  # example_values() leaves it unanswered
    # repeat_group: the fields of one row, the checks run on each row, how many rows
    fields: tuple[FieldDef, ...] = ()
    checks: tuple[CheckDef, ...] = ()
    min_rows: int = 0
    max_rows: int = 20
    row_label: Mapping[str, str] | None = None
    compute: Mapping[str, Any] | None = None  # computed: the expression
    note: str | None = None
    source: str | None = None

    # Convenience for the form renderer -------------------------------------------------

    def label_text(self, lang: str = "en") -> str:
        return localized(self.label, lang)

    def help_text(self, lang: str = "en") -> str:
        return localized(self.help, lang)

    def placeholder_text(self, lang: str = "en") -> str:
        return localized(self.placeholder, lang)

    def row_label_text(self, n: int, lang: str = "en") -> str:
        """The heading of row `n` (1-based) of a repeat group, e.g. "Line 2"."""
        return fill(localized(self.row_label, lang) or "{n}", {"n": n})

    @property
    def is_choice(self) -> bool:
        return self.type in CHOICE_TYPES

    @property
    def is_group(self) -> bool:
        return self.type == "repeat_group"

    @property
    def is_computed(self) -> bool:
        return self.type == "computed"

    def row_field(self, field_id: str) -> FieldDef:
        for f in self.fields:
            if f.id == field_id:
                return f
        raise KeyError(f"repeat group {self.id!r} has no field {field_id!r}")

    @property
    def is_searchable(self) -> bool:
        """Long code lists (ICD-10, hospitals) want a search box rather than radio buttons."""
        return self.codes is not None

    def entries(self, values: Mapping[str, object] | None = None) -> tuple[CodeEntry, ...]:
        """The allowed answers of a choice field; with `values`, narrowed by `filter_by`."""
        entries = self.codes.entries if self.codes is not None else self.options
        if self.filter_by is not None and values is not None:
            selected = values.get(self.filter_by.field)
            if is_answered(selected):
                attribute = self.filter_by.attribute
                entries = tuple(e for e in entries if e.attributes.get(attribute) == selected)
        return entries

    def choices(
        self, lang: str = "en", values: Mapping[str, object] | None = None
    ) -> list[tuple[str, str]]:
        """[(code, label)] in definition order, ready for a combo box or radio buttons."""
        return [(entry.code, entry.label_text(lang)) for entry in self.entries(values)]

    def entry(self, code: str) -> CodeEntry | None:
        if self.codes is not None:
            return self.codes.get(code)
        return next((e for e in self.options if e.code == code), None)

    def choice_label(self, code: str, lang: str = "en") -> str | None:
        entry = self.entry(code)
        return entry.label_text(lang) if entry else None

    def allowed_codes(self) -> frozenset[str]:
        return frozenset(e.code for e in self.entries())

    @classmethod
    def from_dict(
        cls,
        data: object,
        source: str,
        where: str,
        code_lists: Mapping[str, CodeList],
        in_group: bool = False,
    ) -> FieldDef:
        r = Reader(data, source, where, _FIELD_KEYS)
        field_id = r.get("id", str, required=True)
        field_type = r.get("type", str, required=True)
        if field_type not in FIELD_TYPES:
            raise r.fail("type", f"{field_type!r} is not one of {', '.join(FIELD_TYPES)}")
        if in_group and field_type == "repeat_group":
            raise r.fail("type", "a repeat group cannot hold another repeat group")
        for key, allowed_types in (
            ("required", _VALUE_TYPES),
            ("required_if", _VALUE_TYPES),
            ("placeholder", _SIMPLE_TYPES),
            ("examples", _SIMPLE_TYPES),
            ("fields", {"repeat_group"}),
            ("checks", {"repeat_group"}),
            ("min_rows", {"repeat_group"}),
            ("max_rows", {"repeat_group"}),
            ("row_label", {"repeat_group"}),
            ("compute", {"computed"}),
            ("options", {"single_choice", "multiple_choice"}),
            ("code_list", {"single_choice", "multiple_choice", "code"}),
            ("unit", NUMBER_TYPES | {"computed"}),
            ("min", NUMBER_TYPES),
            ("max", NUMBER_TYPES),
            ("max_length", TEXT_TYPES),
            ("not_in_future", {"date"}),
            ("pattern", {"text"}),
            ("filter_by", {"single_choice", "code"}),
        ):
            if r.has(key) and field_type not in allowed_types:
                raise r.fail(key, f"does not apply to a {field_type} field")

        options = tuple(_read_options(r))
        if field_type == "yes_no_unknown":
            options = _yes_no_unknown_options()
        code_list_name = r.get("code_list", str)
        codes = None
        if code_list_name is not None:
            if options:
                raise r.fail("options", 'give either "options" or "code_list", not both')
            codes = code_lists.get(code_list_name)
            if codes is None:
                raise r.fail("code_list", f"no code list named {code_list_name!r} was loaded")
        elif field_type in {"single_choice", "multiple_choice"} and not options:
            raise r.fail("options", 'a choice field needs "options" or a "code_list"')
        elif field_type == "code":
            raise r.fail("code_list", "a code field needs a code list")

        number_kind: tuple[type, ...] = (int,) if field_type == "integer" else (int, float)
        minimum, maximum = r.get("min", number_kind), r.get("max", number_kind)
        if minimum is not None and maximum is not None and minimum > maximum:
            raise r.fail("min", f"is greater than max ({maximum})")
        max_length = r.get("max_length", int)
        if max_length is not None and max_length < 1:
            raise r.fail("max_length", "must be at least 1")

        placeholder = r.raw("placeholder")
        if isinstance(placeholder, str):
            placeholder = {"nb": placeholder, "en": placeholder}
        elif placeholder is not None:
            placeholder = r.text("placeholder")

        pattern = r.get("pattern", str)
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as error:
                raise r.fail("pattern", f"not a valid regular expression ({error})") from None

        filter_by = None
        if r.has("filter_by"):
            fr = r.child(
                r.raw("filter_by"), "filter_by", frozenset({"field", "attribute", "message"})
            )
            if codes is None:
                raise r.fail("filter_by", "needs a code_list whose entries carry the attribute")
            filter_by = FilterBy(
                fr.get("field", str, required=True),
                fr.get("attribute", str, required=True),
                fr.text("message"),
            )

        for key in ("required_if", "relevant"):
            if r.has(key):
                problems = condition_problems(r.raw(key), r.key(key))
                if problems:
                    raise DefinitionError(source, *problems[0])

        compute = None
        if field_type == "computed":
            if not r.has("compute"):
                raise r.fail("compute", "a computed field needs an expression")
            compute = r.raw("compute")
            problems = expression_problems(compute, r.key("compute"))
            if problems:
                raise DefinitionError(source, *problems[0])

        row_fields: tuple[FieldDef, ...] = ()
        row_checks: tuple[CheckDef, ...] = ()
        min_rows, max_rows = 0, 20
        if field_type == "repeat_group":
            raw_fields = r.get("fields", list, required=True)
            if not raw_fields:
                raise r.fail("fields", "must not be empty")
            row_fields = tuple(
                FieldDef.from_dict(f_data, source, r.key(f"fields[{j}]"), code_lists, True)
                for j, f_data in enumerate(raw_fields)
            )
            row_checks = tuple(
                _read_check(r.child(c, f"checks[{i}]", _CHECK_KEYS))
                for i, c in enumerate(r.get("checks", list) or [])
            )
            min_rows = r.get("min_rows", int)
            max_rows = r.get("max_rows", int)
            min_rows = 0 if min_rows is None else min_rows
            max_rows = 20 if max_rows is None else max_rows
            if min_rows < 0:
                raise r.fail("min_rows", "must be 0 or more")
            if max_rows < max(min_rows, 1):
                raise r.fail("max_rows", f"must be at least 1 and at least min_rows ({min_rows})")

        return cls(
            id=field_id,
            type=field_type,
            label=r.text("label", required=True) or {},
            help=r.text("help"),
            required=bool(r.get("required", bool)),
            required_if=r.raw("required_if"),
            relevant=r.raw("relevant"),
            not_in_future=r.get("not_in_future", bool) is not False,
            options=options,
            code_list=code_list_name,
            codes=codes,
            unit=r.get("unit", str),
            min=minimum,
            max=maximum,
            max_length=max_length,
            placeholder=placeholder,
            pattern=pattern,
            filter_by=filter_by,
            examples=tuple(r.get("examples", list) or ()),
            example_omit=bool(r.get("example_omit", bool)),
            fields=row_fields,
            checks=row_checks,
            min_rows=min_rows,
            max_rows=max_rows,
            row_label=r.text("row_label"),
            compute=compute,
            note=_doc(r, "note"),
            source=_doc(r, "source"),
        )


def _read_options(r: Reader) -> list[CodeEntry]:
    raw = r.get("options", list)
    if raw is None:
        return []
    if not raw:
        raise r.fail("options", "must not be empty")
    options, seen = [], set()
    for i, item in enumerate(raw):
        o = r.child(item, f"options[{i}]", frozenset({"code", "label"}))
        code = o.get("code", str, required=True)
        if code in seen:
            raise o.fail("code", f"duplicate option code {code!r}")
        seen.add(code)
        options.append(CodeEntry(code, o.text("label", required=True) or {}))
    return options


def _yes_no_unknown_options() -> tuple[CodeEntry, ...]:
    return tuple(
        CodeEntry(code, message_texts(f"yes_no_unknown.{code}") or {"en": code})
        for code in YES_NO_UNKNOWN_CODES
    )


def _doc(r: Reader, key: str) -> str | None:
    value = r.raw(key)
    return None if value is None else str(value)


@dataclass(frozen=True, eq=False)  # identity: usable as dict keys
class SectionDef:
    id: str
    title: Mapping[str, str]
    fields: tuple[FieldDef, ...]
    help: Mapping[str, str] | None = None

    def title_text(self, lang: str = "en") -> str:
        return localized(self.title, lang)

    def help_text(self, lang: str = "en") -> str:
        return localized(self.help, lang)


@dataclass(frozen=True, eq=False)  # identity: usable as dict keys
class CheckDef:
    """A cross-field rule: when `when` holds (or always), `condition` must hold; if it does
    not, an issue with key "check:<id>" goes on `field`."""

    id: str
    field: str
    condition: Condition  # "assert" in the JSON
    message: Mapping[str, str]
    when: Condition | None = None
    severity: str = "error"
    note: str | None = None

    @property
    def key(self) -> str:
        return f"check:{self.id}"

    def fields(self) -> tuple[str, ...]:
        """Every field the check reads; it runs only when all are answered and relevant."""
        names = condition_fields(self.condition)
        if self.when is not None:
            names = tuple(dict.fromkeys(names + condition_fields(self.when)))
        return names

    def message_text(self, lang: str = "en") -> str:
        return localized(self.message, lang)


@dataclass(frozen=True, eq=False)  # identity: usable as dict keys
class FormDefinition:
    registry: str
    form: str
    version: int
    title: Mapping[str, str]
    sections: tuple[SectionDef, ...]
    checks: tuple[CheckDef, ...] = ()
    pathway_step: str | None = None
    code_lists: Mapping[str, CodeList] = field(default_factory=dict, repr=False)
    source: str = "<dict>"
    migration: MigrationDef | None = None
    transfer: Mapping[str, Condition] = field(default_factory=dict)
    _raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _by_id: Mapping[str, FieldDef] = field(init=False, repr=False, compare=False)
    _all: Mapping[str, FieldDef] = field(init=False, repr=False, compare=False)
    _group_of: Mapping[str, FieldDef] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        top = {f.id: f for s in self.sections for f in s.fields}
        every: dict[str, FieldDef] = {}
        group_of: dict[str, FieldDef] = {}
        for f in top.values():
            every.setdefault(f.id, f)
            for row_field in f.fields:
                every.setdefault(row_field.id, row_field)
                group_of.setdefault(row_field.id, f)
        object.__setattr__(self, "_by_id", top)
        object.__setattr__(self, "_all", every)
        object.__setattr__(self, "_group_of", group_of)

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.registry, self.form, self.version)

    def title_text(self, lang: str = "en") -> str:
        return localized(self.title, lang)

    def fields(self) -> list[FieldDef]:
        """The top-level fields in form order (a repeat group is one field)."""
        return list(self._by_id.values())

    def all_fields(self) -> list[FieldDef]:
        """Every field in form order, each group followed by its row fields."""
        return [g for f in self._by_id.values() for g in (f, *f.fields)]

    def field(self, field_id: str) -> FieldDef:
        """Any field by id, row fields included (ids are unique across the whole form)."""
        try:
            return self._all[field_id]
        except KeyError:
            message = f"{self.registry}/{self.form} v{self.version} has no field {field_id!r}"
            raise KeyError(message) from None

    def has_field(self, field_id: str) -> bool:
        return field_id in self._all

    def is_top_level(self, field_id: str) -> bool:
        return field_id in self._by_id

    def group_of(self, field_id: str) -> FieldDef | None:
        """The repeat group a row field belongs to; None for a top-level field."""
        self.field(field_id)
        return self._group_of.get(field_id)

    def section_of(self, field_id: str) -> SectionDef:
        group = self._group_of.get(field_id)
        wanted = group.id if group is not None else field_id
        for section in self.sections:
            if any(f.id == wanted for f in section.fields):
                return section
        raise KeyError(field_id)

    def code_list(self, name: str) -> CodeList:
        return self.code_lists[name]

    # Relevance, computed values and required-ness depend on the answers ------------------

    def resolve(self, values: Mapping[str, object]) -> tuple[dict[str, bool], dict[str, object]]:
        """({field_id: relevant?}, the answers that count) for the top level. The answers that
        count are the relevant, answered ones, with computed fields computed and each repeat
        group's rows reduced the same way (a row stays, possibly empty, so indices hold).

        A `relevant` condition or a computed field reads only earlier fields (checked at load),
        so one pass in form order settles it; an irrelevant field's answer counts as unanswered
        for the fields after it."""
        relevant: dict[str, bool] = {}
        counted: dict[str, object] = {}
        for f in self._by_id.values():
            relevant[f.id] = f.relevant is None or evaluate_condition(f.relevant, counted)
            if not relevant[f.id]:
                continue
            value: object
            if f.is_computed:
                value = evaluate_expression(f.compute or {}, counted)
            elif f.is_group and isinstance(values.get(f.id), list):
                value = [
                    self.resolve_row(f, row, counted)[1] if isinstance(row, Mapping) else {}
                    for row in values[f.id]  # type: ignore[union-attr]
                ]
            else:
                value = values.get(f.id)
            if is_answered(value):
                counted[f.id] = copy.deepcopy(value)
        return relevant, counted

    def resolve_row(
        self, group: FieldDef, row: Mapping[str, object], counted: Mapping[str, object]
    ) -> tuple[dict[str, bool], dict[str, object]]:
        """Like `resolve` for one row of `group`; `counted` holds the top-level answers that
        count. Inside a row `{"field": id}` means the row's own field, else the top level."""
        relevant: dict[str, bool] = {}
        own: dict[str, object] = {}
        scope = ChainMap(own, dict(counted))
        for f in group.fields:
            relevant[f.id] = f.relevant is None or evaluate_condition(f.relevant, scope)
            if not relevant[f.id]:
                continue
            value = evaluate_expression(f.compute or {}, scope) if f.is_computed else row.get(f.id)
            if is_answered(value):
                own[f.id] = copy.deepcopy(value)
        return relevant, own

    def relevance(self, values: Mapping[str, object]) -> dict[str, bool]:
        """{top-level field_id: relevant?}."""
        return self.resolve(values)[0]

    def row_relevance(
        self, group_id: str, row: Mapping[str, object], values: Mapping[str, object]
    ) -> dict[str, bool]:
        """{row field id: relevant?} for one row of a group, given the whole message."""
        group = self._group(group_id)
        return self.resolve_row(group, row, self.resolve(values)[1])[0]

    def is_relevant(self, field_id: str, values: Mapping[str, object]) -> bool:
        """`field_id` may be a top-level id or a row path `group[i].field`."""
        group, row, name = self._locate(field_id, values)
        relevant, counted = self.resolve(values)
        if group is None:
            return relevant[name]
        return relevant[group.id] and self.resolve_row(group, row, counted)[0][name]

    def submitted_values(self, values: Mapping[str, object]) -> dict[str, object]:
        """The answers that count: relevant and answered, computed fields included, in form
        order (unknown keys dropped)."""
        return self.resolve(values)[1]

    def compute_values(self, values: Mapping[str, object]) -> dict[str, object]:
        """`values` with every computed field filled (None when it cannot be computed yet),
        also inside each repeat-group row."""
        result = copy.deepcopy(dict(values))
        counted = self.resolve(values)[1]
        for f in self._by_id.values():
            if f.is_computed:
                result[f.id] = counted.get(f.id)
            elif f.is_group and any(g.is_computed for g in f.fields):
                rows = result.get(f.id)
                if not isinstance(rows, list):
                    continue
                for row in rows:
                    if isinstance(row, dict):
                        own = self.resolve_row(f, row, counted)[1]
                        for g in f.fields:
                            if g.is_computed:
                                row[g.id] = own.get(g.id)
        return result

    def is_required(self, field_id: str, values: Mapping[str, object]) -> bool:
        """Whether the field must be answered now (for the asterisk next to its label);
        `field_id` may be a row path `group[i].field`."""
        group, row, name = self._locate(field_id, values)
        relevant, counted = self.resolve(values)
        if group is None:
            f = self._by_id[name]
            scope: Mapping[str, object] = counted
            if not relevant[name]:
                return False
        else:
            f = group.row_field(name)
            row_relevant, own = self.resolve_row(group, row, counted)
            if not (relevant[group.id] and row_relevant[name]):
                return False
            scope = ChainMap(own, counted)
        if f.is_computed:
            return False
        if f.required or (f.is_group and f.min_rows > 0):
            return True
        return f.required_if is not None and evaluate_condition(f.required_if, scope)

    def _group(self, group_id: str) -> FieldDef:
        f = self._by_id.get(group_id)
        if f is None or not f.is_group:
            raise KeyError(f"{self.registry}/{self.form} has no repeat group {group_id!r}")
        return f

    def _locate(
        self, path: str, values: Mapping[str, object]
    ) -> tuple[FieldDef | None, Mapping[str, object], str]:
        match = _ROW_PATH.match(path)
        if match is None:
            if path not in self._by_id:
                self.field(path)  # KeyError naming the field
                raise KeyError(f"{path!r} is a row field; give its path as group[i].{path}")
            return None, {}, path
        group = self._group(match["group"])
        group.row_field(match["field"])
        rows = values.get(group.id)
        index = int(match["index"])
        row = rows[index] if isinstance(rows, list) and index < len(rows) else {}
        return group, row if isinstance(row, Mapping) else {}, match["field"]

    # Serialisation ------------------------------------------------------------------------

    def to_dict(self, include_code_lists: bool = True) -> dict[str, Any]:
        """The definition as JSON (includes already expanded); with the code lists it uses
        embedded under "code_lists" so a client that downloads it needs nothing else."""
        data = copy.deepcopy(dict(self._raw))
        data.pop("code_lists", None)
        if include_code_lists and self.code_lists:
            data["code_lists"] = {name: cl.to_dict() for name, cl in self.code_lists.items()}
        return data

    @classmethod
    def from_dict(
        cls,
        data: object,
        code_lists: Mapping[str, CodeList] | None = None,
        source: str = "<dict>",
        fragments: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> FormDefinition:
        """Build and check a definition. Code lists come from `code_lists` and from the
        definition's own embedded "code_lists" (which win); `{"include": name}` sections come
        from `fragments` (default: resources/forms/_fragments)."""
        data = expand_includes(data, fragments, source)
        r = Reader(data, source, "", _FORM_KEYS)
        available = dict(code_lists or {})
        embedded = r.get("code_lists", dict) or {}
        for name, cl_data in embedded.items():
            available[name] = CodeList.from_dict(cl_data, f"{source} code_lists.{name}")

        version = r.get("version", int, required=True)
        if version < 1:
            raise r.fail("version", "must be 1 or more")
        sections: list[SectionDef] = []
        seen_sections: set[str] = set()
        for i, s_data in enumerate(r.get("sections", list, required=True)):
            sr = r.child(s_data, f"sections[{i}]", _SECTION_KEYS)
            section_id = sr.get("id", str, required=True)
            if section_id in seen_sections:
                raise sr.fail("id", f"duplicate section id {section_id!r}")
            seen_sections.add(section_id)
            fields = tuple(
                FieldDef.from_dict(f_data, source, sr.key(f"fields[{j}]"), available)
                for j, f_data in enumerate(sr.get("fields", list, required=True))
            )
            sections.append(
                SectionDef(
                    section_id, sr.text("title", required=True) or {}, fields, sr.text("help")
                )
            )
        if not sections:
            raise r.fail("sections", "must not be empty")

        checks = tuple(
            _read_check(r.child(c, f"checks[{i}]", _CHECK_KEYS))
            for i, c in enumerate(r.get("checks", list) or [])
        )
        migration = None
        if r.has("migration"):
            migration = MigrationDef.from_reader(
                r.child(r.raw("migration"), "migration", frozenset(_MIGRATION_KEYS)), version
            )
        transfer = _read_transfer(r)
        used = {f.code_list for s in sections for top in s.fields for f in (top, *top.fields)} - {
            None
        }
        definition = cls(
            registry=r.get("registry", str, required=True),
            form=r.get("form", str, required=True),
            version=version,
            title=r.text("title", required=True) or {},
            sections=tuple(sections),
            checks=checks,
            pathway_step=r.get("pathway_step", str),
            code_lists={name: available[name] for name in sorted(used)},  # type: ignore[index]
            source=source,
            migration=migration,
            transfer=transfer,
            _raw=copy.deepcopy(dict(r.data)),
        )
        _check_references(definition, source)
        return definition


_MIGRATION_KEYS = (
    "from_version",
    "renames",
    "removals",
    "code_remaps",
    "previous_accepted_until",
    "note",
)


def compute_values(definition: FormDefinition, values: Mapping[str, object]) -> dict[str, object]:
    """`values` with every computed field filled (see FormDefinition.compute_values)."""
    return definition.compute_values(values)


def transfer_flags(definition: FormDefinition, values: Mapping[str, object]) -> dict[str, bool]:
    """{target: marked for transfer?} for every known target: True only when the form declares
    the target and its condition holds over the answers that count."""
    counted = definition.submitted_values(values)
    return {
        target: target in definition.transfer
        and evaluate_condition(definition.transfer[target], counted)
        for target in TRANSFER_TARGETS
    }


def _read_transfer(r: Reader) -> dict[str, Condition]:
    if not r.has("transfer"):
        return {}
    tr = r.child(r.raw("transfer"), "transfer", frozenset(TRANSFER_TARGETS))
    transfer: dict[str, Condition] = {}
    for target in TRANSFER_TARGETS:
        if tr.has(target):
            problems = condition_problems(tr.raw(target), tr.key(target))
            if problems:
                raise DefinitionError(r.source, *problems[0])
            transfer[target] = tr.raw(target)
    return transfer


def _read_check(r: Reader) -> CheckDef:
    for key in ("assert", "when"):
        if r.has(key):
            problems = condition_problems(r.raw(key), r.key(key))
            if problems:
                raise DefinitionError(r.source, *problems[0])
    severity = r.get("severity", str) or "error"
    if severity not in SEVERITIES:
        raise r.fail("severity", f"must be one of {', '.join(SEVERITIES)}")
    if not r.has("assert"):
        raise r.fail("assert", "missing")
    return CheckDef(
        id=r.get("id", str, required=True),
        field=r.get("field", str, required=True),
        condition=r.raw("assert"),
        message=r.text("message", required=True) or {},
        when=r.raw("when"),
        severity=severity,
        note=_doc(r, "note"),
    )


def _check_references(definition: FormDefinition, source: str) -> None:
    """Every id a condition, check, expression or filter names exists and may be read there;
    literals fit the field's codes; `relevant`, `compute` and `filter_by` read only earlier
    fields; a row field is read only inside its own group."""
    seen: set[str] = set()
    top_order: dict[str, int] = {}
    located = []
    for s_index, section in enumerate(definition.sections):
        for f_index, f in enumerate(section.fields):
            where = f"sections[{s_index}].fields[{f_index}]"
            ids = [(f.id, f"{where}.id")]
            ids += [(rf.id, f"{where}.fields[{k}].id") for k, rf in enumerate(f.fields)]
            for field_id, id_where in ids:
                if field_id in seen:
                    raise DefinitionError(source, id_where, f"duplicate field id {field_id!r}")
                seen.add(field_id)
            top_order[f.id] = len(top_order)
            located.append((f, where))
    top = list(top_order)
    anywhere = frozenset(top)
    for f, where in located:
        earlier = frozenset(top[: top_order[f.id]])
        _check_field_refs(definition, f, where, source, earlier, anywhere)
        if not f.is_group:
            continue
        row_ids = [rf.id for rf in f.fields]
        in_row = anywhere | set(row_ids)
        for k, rf in enumerate(f.fields):
            row_earlier = earlier | set(row_ids[:k])
            _check_field_refs(definition, rf, f"{where}.fields[{k}]", source, row_earlier, in_row)
        for i, check in enumerate(f.checks):
            cwhere = f"{where}.checks[{i}]"
            if check.field not in row_ids:
                raise DefinitionError(
                    source, f"{cwhere}.field", f"{check.field!r} is not a field of the group's rows"
                )
            _check_check(definition, check, cwhere, source, in_row)
        _no_duplicate_checks(f.checks, f"{where}.checks", source)
    for i, check in enumerate(definition.checks):
        where = f"checks[{i}]"
        if check.field not in top_order:
            problem = f"no field {check.field!r}"
            if definition.has_field(check.field):
                problem += " at the top level (put a row check in the repeat group's checks)"
            raise DefinitionError(source, f"{where}.field", problem)
        _check_check(definition, check, where, source, anywhere)
    _no_duplicate_checks(definition.checks, "checks", source)
    for target, condition in definition.transfer.items():
        _check_condition(definition, condition, f"transfer.{target}", source, anywhere)
    if definition.migration is not None:
        _check_migration(definition, definition.migration, source)


def _check_field_refs(
    definition: FormDefinition,
    f: FieldDef,
    where: str,
    source: str,
    earlier: frozenset[str],
    anywhere: frozenset[str],
) -> None:
    if f.required_if is not None:
        _check_condition(definition, f.required_if, f"{where}.required_if", source, anywhere)
    if f.relevant is not None:
        _check_condition(definition, f.relevant, f"{where}.relevant", source, anywhere)
        later = [n for n in condition_fields(f.relevant) if n not in earlier]
        if later:
            raise DefinitionError(
                source,
                f"{where}.relevant",
                f"reads {later[0]!r}, which is not an earlier field; "
                "a field's visibility may depend only on fields above it",
            )
    if f.compute is not None:
        where_c = f"{where}.compute"
        names = expression_fields(f.compute)
        for name in names:
            if not definition.has_field(name):
                raise DefinitionError(source, where_c, f"names a field {name!r} the form lacks")
            if name not in earlier:
                raise DefinitionError(
                    source,
                    where_c,
                    f"reads {name!r}, which is not an earlier field; "
                    "a computed field may read only fields above it",
                )
        if "count" in f.compute:
            for i, item in enumerate(f.compute["count"]):
                _check_condition(definition, item, f"{where_c}.count[{i}]", source, earlier)
        else:
            spec = f.compute["age_at"]
            for key, wanted in (("identity_field", "identity_number"), ("date_field", "date")):
                if definition.field(spec[key]).type != wanted:
                    raise DefinitionError(
                        source, f"{where_c}.age_at.{key}", f"must name a {wanted} field"
                    )
    if f.filter_by is not None:
        other = f.filter_by.field
        if other not in earlier:
            raise DefinitionError(
                source, f"{where}.filter_by.field", f"{other!r} is not an earlier field"
            )


def _check_check(
    definition: FormDefinition, check: CheckDef, where: str, source: str, allowed: frozenset[str]
) -> None:
    _check_condition(definition, check.condition, f"{where}.assert", source, allowed)
    if check.when is not None:
        _check_condition(definition, check.when, f"{where}.when", source, allowed)


def _no_duplicate_checks(checks: tuple[CheckDef, ...], where: str, source: str) -> None:
    ids = [c.id for c in checks]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise DefinitionError(source, where, f"duplicate check id {sorted(duplicates)[0]!r}")


def _check_condition(
    definition: FormDefinition,
    condition: Condition,
    where: str,
    source: str,
    allowed: frozenset[str] | None = None,
) -> None:
    for name in condition_fields(condition):
        if not definition.has_field(name):
            raise DefinitionError(source, where, f"names a field {name!r} that the form lacks")
        if allowed is not None and name not in allowed:
            raise DefinitionError(
                source,
                where,
                f"cannot read {name!r} here: a repeat group's row field can be read only by "
                "that group's own fields and row checks",
            )
    for leaf in _leaves(condition):
        f = definition.field(leaf["field"])
        value = leaf.get("value")
        operand = value.get("field") if isinstance(value, Mapping) else None
        groups = [g for g in (f.id, operand) if g and definition.field(g).is_group]
        if groups and leaf["op"] not in _PRESENCE_ONLY:
            raise DefinitionError(
                source,
                where,
                f"{groups[0]!r} is a repeat group: test it only with answered / not_answered",
            )
        if not f.is_choice or leaf["op"] not in ("eq", "ne", "in", "not_in"):
            continue
        if isinstance(value, Mapping):
            continue
        literals = value if isinstance(value, list) else [value]
        allowed_codes = f.allowed_codes()
        for literal in literals:
            if literal not in allowed_codes:
                raise DefinitionError(source, where, f"{literal!r} is not a code of field {f.id!r}")


def _check_migration(definition: FormDefinition, step: MigrationDef, source: str) -> None:
    """What can be checked without the earlier version (the catalogue checks the rest)."""
    for old, new in step.renames.items():
        if not definition.has_field(new):
            raise DefinitionError(
                source, f"migration.renames.{old}", f"{new!r} is not a field of this version"
            )
        if definition.has_field(old):
            raise DefinitionError(
                source, f"migration.renames.{old}", "the old id is still a field of this version"
            )
    for name in step.removals:
        if definition.has_field(name):
            raise DefinitionError(
                source, "migration.removals", f"{name!r} is still a field of this version"
            )
    for name, mapping in step.code_remaps.items():
        target = name if definition.has_field(name) else step.renames.get(name)
        where = f"migration.code_remaps.{name}"
        if target is None or not definition.has_field(target):
            raise DefinitionError(source, where, f"{name!r} is not a field of this version")
        f = definition.field(target)
        if not f.is_choice:
            raise DefinitionError(source, where, f"{target!r} is not a choice field")
        allowed = f.allowed_codes()
        for old, new in mapping.items():
            if new not in allowed:
                raise DefinitionError(
                    source, f"{where}.{old}", f"{new!r} is not a code of field {target!r}"
                )


def _leaves(condition: Condition) -> list[Mapping[str, Any]]:
    for key in ("all", "any"):
        if key in condition:
            return [leaf for c in condition[key] for leaf in _leaves(c)]
    if "not" in condition:
        return _leaves(condition["not"])
    return [condition]
