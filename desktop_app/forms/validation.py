"""The one validation engine: the client runs it live and on submit, the server on receipt."""

from __future__ import annotations

import dataclasses
import datetime
import math
import re
from collections import ChainMap
from collections.abc import Mapping

from .conditions import evaluate_condition, is_answered
from .dates import date_value
from .identity import identity_number_problem
from .issues import ERROR, Issue
from .model import CheckDef, FieldDef, FormDefinition


def validate(
    definition: FormDefinition,
    values: Mapping[str, object],
    today: datetime.date | None = None,
) -> list[Issue]:
    """All issues with `values` ({field_id: value}; a repeat group's value is a list of row
    objects), in form order, form checks last. An issue inside a row has the path
    `group[i].field`.

    Irrelevant fields are never required or checked. A cross-field check runs only when
    every field it reads is answered, relevant and itself free of errors. A computed field's
    value is recomputed; a sent value that differs is `computed.mismatch`.
    """
    if not isinstance(values, Mapping):
        raise TypeError("values must be a mapping of field id to value")
    today = today or datetime.date.today()
    unknown = [
        Issue(str(key), ERROR, "field.unknown", {"field": str(key)})
        for key in values
        if not definition.is_top_level(str(key))
    ]
    relevance, counted = definition.resolve(values)
    faulty: set[str] = set()
    per_field: dict[str, list[Issue]] = {}
    for f in definition.fields():
        if not relevance[f.id] or f.is_group:
            continue
        issue = _field_issue(f, values.get(f.id), counted, today)
        if issue is not None:
            per_field[f.id] = [issue]
            faulty.add(f.id)
    # Groups after the other fields, so a row check knows which top-level answers are faulty.
    for f in definition.fields():
        if relevance[f.id] and f.is_group:
            per_field[f.id] = group_issues(definition, f, values.get(f.id), counted, today, faulty)
            if any(i.path == f.id for i in per_field[f.id]):
                faulty.add(f.id)

    issues = unknown + [i for f in definition.fields() for i in per_field.get(f.id, [])]
    issues += _check_issues(definition.checks, counted, faulty, "")
    return issues


def group_issues(
    definition: FormDefinition,
    group: FieldDef,
    value: object,
    counted: Mapping[str, object],
    today: datetime.date,
    faulty: frozenset[str] | set[str] = frozenset(),
) -> list[Issue]:
    """Issues of one repeat group: on the group itself (path `group`) and in its rows."""
    path = group.id
    if not is_answered(value):
        if group.required or (
            group.required_if is not None and evaluate_condition(group.required_if, counted)
        ):
            return [Issue(path, ERROR, "required", {})]
        if group.min_rows > 0:
            return [Issue(path, ERROR, "repeat.min_rows", {"min_rows": group.min_rows, "rows": 0})]
        return []
    if not isinstance(value, list):
        return [Issue(path, ERROR, "repeat.invalid", {})]
    issues: list[Issue] = []
    if len(value) < group.min_rows:
        issues.append(
            Issue(path, ERROR, "repeat.min_rows", {"min_rows": group.min_rows, "rows": len(value)})
        )
    if len(value) > group.max_rows:
        issues.append(
            Issue(path, ERROR, "repeat.max_rows", {"max_rows": group.max_rows, "rows": len(value)})
        )
    for index, row in enumerate(value):
        issues += row_issues(definition, group, index, row, counted, today, faulty)
    return issues


def row_issues(
    definition: FormDefinition,
    group: FieldDef,
    index: int,
    row: object,
    counted: Mapping[str, object],
    today: datetime.date,
    faulty: frozenset[str] | set[str] = frozenset(),
) -> list[Issue]:
    """Issues of row `index` of `group`; `counted` holds the top-level answers that count."""
    prefix = f"{group.id}[{index}]"
    if not isinstance(row, Mapping):
        return [Issue(prefix, ERROR, "repeat.row_invalid", {"row": index + 1})]
    row_ids = {f.id for f in group.fields}
    issues = [
        Issue(f"{prefix}.{key}", ERROR, "field.unknown", {"field": str(key)})
        for key in row
        if key not in row_ids
    ]
    relevant, own = definition.resolve_row(group, row, counted)
    scope = ChainMap(own, dict(counted))
    row_faulty: set[str] = set(faulty)
    for f in group.fields:
        if not relevant[f.id]:
            continue
        issue = _field_issue(f, row.get(f.id), scope, today)
        if issue is not None:
            issues.append(dataclasses.replace(issue, path=f"{prefix}.{f.id}"))
            row_faulty.add(f.id)
    issues += _check_issues(group.checks, scope, row_faulty, f"{prefix}.")
    return issues


def _check_issues(
    checks: tuple[CheckDef, ...],
    counted: Mapping[str, object],
    faulty: set[str] | frozenset[str],
    prefix: str,
) -> list[Issue]:
    issues = []
    for check in checks:
        names = check.fields()
        if any(name not in counted or name in faulty for name in names):
            continue
        if check.when is not None and not evaluate_condition(check.when, counted):
            continue
        if not evaluate_condition(check.condition, counted):
            issues.append(
                Issue(prefix + check.field, check.severity, check.key, {}, dict(check.message))
            )
    return issues


def _mismatch(field_id: str, sent: object, computed: object) -> Issue | None:
    if not is_answered(sent) or sent == computed:
        return None
    shown = "" if computed is None else str(computed)
    return Issue(field_id, ERROR, "computed.mismatch", {"sent": str(sent), "computed": shown})


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
    day = date_value(value)
    if day is None:
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


def _group_shape(f: FieldDef, value: object, today: datetime.date) -> Problem | None:
    # Rows are checked by `group_issues`; a lone value can only be of the wrong shape.
    if not isinstance(value, list) or not all(isinstance(row, Mapping) for row in value):
        return "repeat.invalid", {}
    return None


def _computed(f: FieldDef, value: object, today: datetime.date) -> Problem | None:
    return None  # recomputed and compared in `validate`


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
    "repeat_group": _group_shape,
    "computed": _computed,
}


def _field_issue(
    f: FieldDef, value: object, scope: Mapping[str, object], today: datetime.date
) -> Issue | None:
    """The one issue a field's own answer has, if any: a computed value that differs from what
    the answers give, a required answer missing, or a value the field refuses. `scope` holds the
    counted answers the field can see (its row's first, for a row field)."""
    if f.is_computed:
        return _mismatch(f.id, value, scope.get(f.id))
    if not is_answered(value):
        needed = f.required or (
            f.required_if is not None and evaluate_condition(f.required_if, scope)
        )
        return Issue(f.id, ERROR, "required", {}) if needed else None
    return check_value(f, value, today, scope)
