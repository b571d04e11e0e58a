"""Values an indicator derives per case (`"derive"` in resources/indicators.json).

    {"days": [from, to]}               whole days from one date to another (None if either
                                       is missing or not a date)
    {"earliest": [date, ...]}          the earliest of the answered dates
    {"age_at": date}                   the patient's age in whole years on that date (from the
                                       identity number)
    {"rows": {"group": "<form>.<repeat group>", "field": <row field>,
              "where": condition on the row (optional), "pick": "earliest" | "count"}}
                                       the earliest date of `field` among the rows where the
                                       condition holds, or how many rows it holds for

`from`, `to` and the dates are references: `<form>.<field>`, a pseudo-field or a name derived
earlier in the same indicator. Dates are ISO strings ("YYYY-MM-DD") as in the messages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from desktop_app.forms import DefinitionError, age_at, condition_fields, evaluate_condition
from desktop_app.forms.conditions import condition_problems
from desktop_app.forms.dates import date_value

# (the case's values and derived names so far, the patient's identity number) -> value
Expression = Callable[[Mapping[str, Any], "str | None"], Any]
PICKS = ("earliest", "count")


as_date = date_value  # a form's date answer


def read_expression(data: object, refs: Any, where: str) -> Expression:
    """Check one expression (`refs` checks what it names) and return it as a function."""
    source = refs.r.source
    if not isinstance(data, Mapping) or len(data) != 1:
        raise DefinitionError(source, where, "an expression is an object with one key")
    ((op, arg),) = data.items()
    if op == "days":
        if not isinstance(arg, list) or len(arg) != 2:
            raise DefinitionError(source, f"{where}.days", "needs [from, to]")
        for ref in arg:
            refs.check(ref, f"{where}.days")
        return _days(arg[0], arg[1])
    if op == "earliest":
        if not isinstance(arg, list) or not arg:
            raise DefinitionError(source, f"{where}.earliest", "needs a list of dates")
        for ref in arg:
            refs.check(ref, f"{where}.earliest")
        return _earliest(tuple(arg))
    if op == "age_at":
        refs.check(arg, f"{where}.age_at")
        return _age(arg)
    if op == "rows":
        return _read_rows(arg, refs, f"{where}.rows")
    known = "days, earliest, age_at, rows"
    raise DefinitionError(source, where, f"unknown expression {op!r} ({known})")


def _read_rows(arg: object, refs: Any, where: str) -> Expression:
    source = refs.r.source
    allowed = {"group", "field", "where", "pick"}
    if not isinstance(arg, Mapping) or set(arg) - allowed or not {"group", "field"} <= set(arg):
        raise DefinitionError(source, where, 'needs "group" and "field" (and "where", "pick")')
    group_ref, field = arg["group"], arg["field"]
    refs.check(group_ref, f"{where}.group", group=True)
    form, _, group_id = group_ref.partition(".")
    group = refs.field(form, group_id)
    row_ids = {f.id for f in group.fields}
    if field not in row_ids:
        raise DefinitionError(source, f"{where}.field", f"{group_ref} has no row field {field!r}")
    pick = arg.get("pick", "earliest")
    if pick not in PICKS:
        raise DefinitionError(source, f"{where}.pick", f"must be one of {', '.join(PICKS)}")
    condition = arg.get("where")
    if condition is not None:
        problems = condition_problems(condition, f"{where}.where")
        if problems:
            raise DefinitionError(source, *problems[0])
        for name in condition_fields(condition):
            if name not in row_ids:
                raise DefinitionError(
                    source, f"{where}.where", f"{name!r} is not a row field of {group_ref}"
                )
        refs.check_codes(condition, f"{where}.where", row_group=group)
    if pick == "count":
        return _row_count(group_ref, condition)
    return _row_earliest(group_ref, field, condition)


def _days(start: str, end: str) -> Expression:
    def days(scope: Mapping[str, Any], _patient: str | None) -> int | None:
        first, last = as_date(scope.get(start)), as_date(scope.get(end))
        return None if first is None or last is None else (last - first).days

    return days


def _earliest(refs: tuple[str, ...]) -> Expression:
    def earliest(scope: Mapping[str, Any], _patient: str | None) -> str | None:
        dates = [v for v in (scope.get(ref) for ref in refs) if as_date(v) is not None]
        return min(dates) if dates else None  # ISO dates sort as text

    return earliest


def _age(ref: str) -> Expression:
    def age(scope: Mapping[str, Any], patient: str | None) -> int | None:
        return age_at(patient, scope.get(ref))

    return age


def _rows(scope: Mapping[str, Any], group: str, condition: Any) -> list[Mapping[str, Any]]:
    rows = scope.get(group)
    if not isinstance(rows, list):
        return []
    return [
        row
        for row in rows
        if isinstance(row, Mapping) and (condition is None or evaluate_condition(condition, row))
    ]


def _row_count(group: str, condition: Any) -> Expression:
    def count(scope: Mapping[str, Any], _patient: str | None) -> int:
        return len(_rows(scope, group, condition))

    return count


def _row_earliest(group: str, field: str, condition: Any) -> Expression:
    def earliest(scope: Mapping[str, Any], _patient: str | None) -> str | None:
        dates = [row[field] for row in _rows(scope, group, condition) if as_date(row.get(field))]
        return min(dates) if dates else None

    return earliest
