"""The one validation engine: the client runs it live and on submit, the server on receipt."""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping

from .conditions import evaluate_condition, is_answered
from .identity import identity_number_problem
from .issues import ERROR, Issue
from .model import FieldDef, FormDefinition

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def validate(
    definition: FormDefinition,
    values: Mapping[str, object],
    today: datetime.date | None = None,
) -> list[Issue]:
    """All issues with `values` (a flat {field_id: value}), in form order, checks last.

    Irrelevant fields are never required or checked. A cross-field check runs only when
    every field it reads is answered, relevant and itself free of errors.
    """
    if not isinstance(values, Mapping):
        raise TypeError("values must be a mapping of field id to value")
    today = today or datetime.date.today()
    issues: list[Issue] = [
        Issue(str(key), ERROR, "field.unknown", {"field": str(key)})
        for key in values
        if not definition.has_field(str(key))
    ]
    relevance = definition.relevance(values)
    counted = definition.submitted_values(values)
    faulty: set[str] = set()
    for f in definition.fields():
        if not relevance[f.id]:
            continue
        value = values.get(f.id)
        if not is_answered(value):
            if f.required or (
                f.required_if is not None and evaluate_condition(f.required_if, counted)
            ):
                issues.append(Issue(f.id, ERROR, "required", {}))
                faulty.add(f.id)
            continue
        issue = check_value(f, value, today, counted)
        if issue is not None:
            issues.append(issue)
            faulty.add(f.id)

    for check in definition.checks:
        names = check.fields()
        if any(name not in counted or name in faulty for name in names):
            continue
        if check.when is not None and not evaluate_condition(check.when, counted):
            continue
        if not evaluate_condition(check.condition, counted):
            issues.append(Issue(check.field, check.severity, check.key, {}, dict(check.message)))
    return issues


def has_errors(issues: list[Issue]) -> bool:
    return any(issue.is_error for issue in issues)


def check_value(
    f: FieldDef,
    value: object,
    today: datetime.date,
    values: Mapping[str, object] | None = None,
) -> Issue | None:
    """The first problem with one answered value of field `f`, or None."""
    checker = _CHECKERS[f.type]
    found = checker(f, value, today)
    if found is None and f.filter_by is not None and values is not None:
        found = _filter_problem(f, value, values)
    if found is None:
        return None
    key, params, *text = found
    return Issue(f.id, ERROR, key, params, text[0] if text else None)


Problem = tuple[str, dict[str, object]] | tuple[str, dict[str, object], Mapping[str, str] | None]


def _text(f: FieldDef, value: object, today: datetime.date) -> Problem | None:
    if not isinstance(value, str):
        return "text.invalid", {}
    if f.max_length is not None and len(value) > f.max_length:
        return "text.too_long", {"max_length": f.max_length, "length": len(value)}
    if f.pattern is not None and not re.fullmatch(f.pattern, value):
        return "text.pattern", {}
    return None


def _number(f: FieldDef, value: object, today: datetime.date) -> Problem | None:
    if f.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            return "integer.invalid", {}
    elif isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "decimal.invalid", {}
    unit = f.unit or ""
    if f.min is not None and value < f.min:
        return "number.below_min", {"min": f.min, "unit": unit, "limit": _with_unit(f.min, unit)}
    if f.max is not None and value > f.max:
        return "number.above_max", {"max": f.max, "unit": unit, "limit": _with_unit(f.max, unit)}
    return None


def _with_unit(number: float, unit: str) -> str:
    return f"{number:g} {unit}".strip()


def _date(f: FieldDef, value: object, today: datetime.date) -> Problem | None:
    if not isinstance(value, str) or not _DATE.match(value):
        return "date.invalid", {}
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        return "date.invalid", {}
    if f.not_in_future and day > today:
        return "date.in_future", {"date": value, "today": today.isoformat()}
    return None


def _choice(f: FieldDef, value: object, today: datetime.date) -> Problem | None:
    if f.type == "multiple_choice":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "choice.invalid", {"value": str(value)}
        if len(set(value)) != len(value):
            return "choice.duplicate", {}
        chosen = value
    else:
        if not isinstance(value, str):
            return "choice.invalid", {"value": str(value)}
        chosen = [value]
    for code in chosen:
        if f.entry(code) is None:
            return _unknown_code(f, code)
    return None


def _unknown_code(f: FieldDef, code: str) -> Problem:
    codes = f.codes
    if codes is None:
        return "choice.invalid", {"value": code}
    example = next((c for c in codes.codes() if c.startswith(code + ".")), None)
    if example is not None:
        return "code.incomplete", {"code": code, "example": example}
    if codes.in_classification(code):
        return "code.out_of_scope", {"code": code, "scope": codes.scope or codes.name}
    return "code.unknown", {"code": code}


def _filter_problem(f: FieldDef, value: object, values: Mapping[str, object]) -> Problem | None:
    assert f.filter_by is not None
    selected = values.get(f.filter_by.field)
    entry = f.entry(value) if isinstance(value, str) else None
    if entry is None or not is_answered(selected):
        return None
    if entry.attributes.get(f.filter_by.attribute) != selected:
        return (
            "code.filtered_out",
            {"code": value, "other_field": f.filter_by.field},
            (dict(f.filter_by.message) if f.filter_by.message else None),
        )
    return None


def _identity(f: FieldDef, value: object, today: datetime.date) -> Problem | None:
    return identity_number_problem(value, today)


_CHECKERS = {
    "text": _text,
    "note": _text,
    "integer": _number,
    "decimal": _number,
    "date": _date,
    "yes_no_unknown": _choice,
    "single_choice": _choice,
    "multiple_choice": _choice,
    "code": _choice,
    "identity_number": _identity,
}
