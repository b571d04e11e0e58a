"""The form-definition model: frozen dataclasses built from `resources/forms/**.json`."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._parse import Reader
from .codelists import CodeEntry, CodeList
from .conditions import (
    Condition,
    condition_fields,
    condition_problems,
    evaluate_condition,
    is_answered,
)
from .errors import DefinitionError
from .messages import message_texts
from .text import localized

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
)
CHOICE_TYPES = frozenset({"yes_no_unknown", "single_choice", "multiple_choice", "code"})
NUMBER_TYPES = frozenset({"integer", "decimal"})
TEXT_TYPES = frozenset({"text", "note"})
YES_NO_UNKNOWN_CODES = ("1", "0", "99")
SEVERITIES = ("error", "warning")

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
    }
)
_SECTION_KEYS = frozenset({"id", "title", "help", "fields"})
_CHECK_KEYS = frozenset({"id", "field", "assert", "when", "message", "severity"})
_FORM_KEYS = frozenset(
    {"registry", "form", "version", "title", "pathway_step", "sections", "checks", "code_lists"}
)


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
    note: str | None = None
    source: str | None = None

    # Convenience for the form renderer -------------------------------------------------

    def label_text(self, lang: str = "en") -> str:
        return localized(self.label, lang)

    def help_text(self, lang: str = "en") -> str:
        return localized(self.help, lang)

    def placeholder_text(self, lang: str = "en") -> str:
        return localized(self.placeholder, lang)

    @property
    def is_choice(self) -> bool:
        return self.type in CHOICE_TYPES

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
        cls, data: object, source: str, where: str, code_lists: Mapping[str, CodeList]
    ) -> FieldDef:
        r = Reader(data, source, where, _FIELD_KEYS)
        field_id = r.get("id", str, required=True)
        field_type = r.get("type", str, required=True)
        if field_type not in FIELD_TYPES:
            raise r.fail("type", f"{field_type!r} is not one of {', '.join(FIELD_TYPES)}")
        for key, allowed_types in (
            ("options", {"single_choice", "multiple_choice"}),
            ("code_list", {"single_choice", "multiple_choice", "code"}),
            ("unit", NUMBER_TYPES),
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
    _raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _by_id: Mapping[str, FieldDef] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {f.id: f for s in self.sections for f in s.fields}
        object.__setattr__(self, "_by_id", index)

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.registry, self.form, self.version)

    def title_text(self, lang: str = "en") -> str:
        return localized(self.title, lang)

    def fields(self) -> list[FieldDef]:
        return list(self._by_id.values())

    def field(self, field_id: str) -> FieldDef:
        try:
            return self._by_id[field_id]
        except KeyError:
            message = f"{self.registry}/{self.form} v{self.version} has no field {field_id!r}"
            raise KeyError(message) from None

    def has_field(self, field_id: str) -> bool:
        return field_id in self._by_id

    def section_of(self, field_id: str) -> SectionDef:
        for section in self.sections:
            if any(f.id == field_id for f in section.fields):
                return section
        raise KeyError(field_id)

    def code_list(self, name: str) -> CodeList:
        return self.code_lists[name]

    # Relevance and required-ness depend on the answers ---------------------------------

    def relevance(self, values: Mapping[str, object]) -> dict[str, bool]:
        """{field_id: relevant?}. A `relevant` condition reads only earlier fields (checked at
        load), so one pass in form order settles it; an irrelevant field's answer counts as
        unanswered for the fields after it."""
        relevant: dict[str, bool] = {}
        visible: dict[str, object] = {}
        for f in self._by_id.values():
            relevant[f.id] = f.relevant is None or evaluate_condition(f.relevant, visible)
            if relevant[f.id] and is_answered(values.get(f.id)):
                visible[f.id] = values[f.id]
        return relevant

    def is_relevant(self, field_id: str, values: Mapping[str, object]) -> bool:
        self.field(field_id)
        return self.relevance(values)[field_id]

    def submitted_values(self, values: Mapping[str, object]) -> dict[str, object]:
        """The answers that count: relevant and answered, in form order (unknown keys dropped)."""
        relevant = self.relevance(values)
        return {
            fid: copy.deepcopy(values[fid])
            for fid in self._by_id
            if relevant[fid] and is_answered(values.get(fid))
        }

    def is_required(self, field_id: str, values: Mapping[str, object]) -> bool:
        """Whether the field must be answered now (for the asterisk next to its label)."""
        f = self.field(field_id)
        if not self.relevance(values)[field_id]:
            return False
        if f.required:
            return True
        return f.required_if is not None and evaluate_condition(
            f.required_if, self.submitted_values(values)
        )

    # Serialisation ------------------------------------------------------------------------

    def to_dict(self, include_code_lists: bool = True) -> dict[str, Any]:
        """The definition as JSON; with the code lists it uses embedded under "code_lists" so a
        client that downloads it needs nothing else."""
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
    ) -> FormDefinition:
        """Build and check a definition. Code lists come from `code_lists` and from the
        definition's own embedded "code_lists" (which win)."""
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
        used = {f.code_list for s in sections for f in s.fields if f.code_list}
        definition = cls(
            registry=r.get("registry", str, required=True),
            form=r.get("form", str, required=True),
            version=version,
            title=r.text("title", required=True) or {},
            sections=tuple(sections),
            checks=checks,
            pathway_step=r.get("pathway_step", str),
            code_lists={name: available[name] for name in sorted(used)},
            source=source,
            _raw=copy.deepcopy(dict(r.data)),
        )
        _check_references(definition, source)
        return definition


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
    """Every id a condition, check or filter names exists; literals fit the field's codes;
    `relevant` and `filter_by` read only earlier fields."""
    order: dict[str, int] = {}
    for s_index, section in enumerate(definition.sections):
        for f_index, f in enumerate(section.fields):
            where = f"sections[{s_index}].fields[{f_index}]"
            if f.id in order:
                raise DefinitionError(source, f"{where}.id", f"duplicate field id {f.id!r}")
            order[f.id] = len(order)
            for key in ("required_if", "relevant"):
                cond = getattr(f, key)
                if cond is not None:
                    _check_condition(definition, cond, f"{where}.{key}", source)
            if f.relevant is not None:
                later = [
                    n
                    for n in condition_fields(f.relevant)
                    if order.get(n, len(order)) >= order[f.id]
                ]
                if later:
                    raise DefinitionError(
                        source,
                        f"{where}.relevant",
                        f"reads {later[0]!r}, which is not an earlier field; "
                        "a field's visibility may depend only on fields above it",
                    )
            if f.filter_by is not None:
                other = f.filter_by.field
                if other not in order or other == f.id:
                    raise DefinitionError(
                        source, f"{where}.filter_by.field", f"{other!r} is not an earlier field"
                    )
    for i, check in enumerate(definition.checks):
        where = f"checks[{i}]"
        if check.field not in order:
            raise DefinitionError(source, f"{where}.field", f"no field {check.field!r}")
        _check_condition(definition, check.condition, f"{where}.assert", source)
        if check.when is not None:
            _check_condition(definition, check.when, f"{where}.when", source)
    ids = [c.id for c in definition.checks]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise DefinitionError(source, "checks", f"duplicate check id {sorted(duplicates)[0]!r}")


def _check_condition(
    definition: FormDefinition,
    condition: Condition,
    where: str,
    source: str,
) -> None:
    for name in condition_fields(condition):
        if not definition.has_field(name):
            raise DefinitionError(source, where, f"names a field {name!r} that the form lacks")
    for leaf in _leaves(condition):
        f = definition.field(leaf["field"])
        value = leaf.get("value")
        if not f.is_choice or leaf["op"] not in ("eq", "ne", "in", "not_in"):
            continue
        if isinstance(value, Mapping):
            continue
        literals = value if isinstance(value, list) else [value]
        allowed = f.allowed_codes()
        for literal in literals:
            if literal not in allowed:
                raise DefinitionError(source, where, f"{literal!r} is not a code of field {f.id!r}")


def _leaves(condition: Condition) -> list[Mapping[str, Any]]:
    for key in ("all", "any"):
        if key in condition:
            return [leaf for c in condition[key] for leaf in _leaves(c)]
    if "not" in condition:
        return _leaves(condition["not"])
    return [condition]
