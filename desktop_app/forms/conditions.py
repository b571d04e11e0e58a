"""Conditions: JSON trees evaluated over a message's values (never `eval`).

    {"all": [c, ...]}   {"any": [c, ...]}   {"not": c}
    {"field": id, "op": op, "value": v}       v may be {"field": other_id}

A comparison whose operand is unanswered is false. For a multiple-choice answer (a list),
`eq v` means "v is among the chosen", `ne v` its opposite, `in [..]` "any chosen is in the
list" and `not_in [..]` "none chosen is in the list". `lt le gt ge` compare numbers with
numbers and ISO dates ("YYYY-MM-DD") with dates; any other pairing is false.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from typing import Any

from .dates import date_value

Condition = Mapping[str, Any]

COMPARISON_OPS = frozenset({"eq", "ne", "in", "not_in", "lt", "le", "gt", "ge"})
PRESENCE_OPS = frozenset({"answered", "not_answered"})
OPS = COMPARISON_OPS | PRESENCE_OPS


def is_answered(value: object) -> bool:
    """Unanswered = absent, None, "" or [] (the contract in docs/architecture.md)."""
    return value is not None and value != "" and value != []


def evaluate_condition(condition: Condition, values: Mapping[str, object]) -> bool:
    """True when `condition` holds for `values` (a flat {field_id: value} mapping)."""
    if "all" in condition:
        return all(evaluate_condition(c, values) for c in condition["all"])
    if "any" in condition:
        return any(evaluate_condition(c, values) for c in condition["any"])
    if "not" in condition:
        return not evaluate_condition(condition["not"], values)
    op = condition["op"]
    actual = values.get(condition["field"])
    if op == "answered":
        return is_answered(actual)
    if op == "not_answered":
        return not is_answered(actual)
    expected = condition.get("value")
    if isinstance(expected, Mapping) and "field" in expected:
        expected = values.get(expected["field"])
    if not is_answered(actual) or not is_answered(expected):
        return False
    return _compare(op, actual, expected)


def _compare(op: str, actual: object, expected: object) -> bool:
    if isinstance(actual, list):
        chosen = set(actual)
        if op == "eq":
            return expected in chosen
        if op == "ne":
            return expected not in chosen
        if op == "in":
            return bool(chosen & set(expected))  # type: ignore[arg-type]
        if op == "not_in":
            return not chosen & set(expected)  # type: ignore[arg-type]
        return False
    if op == "eq":
        return actual == expected
    if op == "ne":
        return actual != expected
    if op == "in":
        return actual in expected  # type: ignore[operator]
    if op == "not_in":
        return actual not in expected  # type: ignore[operator]
    left, right = _orderable(actual), _orderable(expected)
    if left is None or right is None or type(left) is not type(right):
        return False
    return {
        "lt": left < right,
        "le": left <= right,
        "gt": left > right,
        "ge": left >= right,
    }[op]


def _orderable(value: object) -> float | datetime.date | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return date_value(value)


def condition_fields(condition: Condition) -> tuple[str, ...]:
    """Every field id the condition reads (operands included), in order, without repeats."""
    return tuple(dict.fromkeys(_walk_fields(condition)))


def _walk_fields(condition: Condition) -> Iterator[str]:
    for key in ("all", "any"):
        if key in condition:
            for child in condition[key]:
                yield from _walk_fields(child)
            return
    if "not" in condition:
        yield from _walk_fields(condition["not"])
        return
    yield condition["field"]
    value = condition.get("value")
    if isinstance(value, Mapping) and "field" in value:
        yield value["field"]


def condition_problems(condition: object, where: str = "") -> list[tuple[str, str]]:
    """Shape errors as (key path, problem); empty when the tree is well formed."""
    if not isinstance(condition, Mapping):
        return [(where, "a condition must be an object")]
    for key in ("all", "any"):
        if key in condition:
            children = condition[key]
            if len(condition) != 1:
                return [(where, f'"{key}" must be the only key of its object')]
            if not isinstance(children, list) or not children:
                return [(f"{where}.{key}", "must be a non-empty list of conditions")]
            problems: list[tuple[str, str]] = []
            for i, child in enumerate(children):
                problems += condition_problems(child, f"{where}.{key}[{i}]")
            return problems
    if "not" in condition:
        if len(condition) != 1:
            return [(where, '"not" must be the only key of its object')]
        return condition_problems(condition["not"], f"{where}.not")
    return _comparison_problems(condition, where)


def _comparison_problems(condition: Mapping[str, Any], where: str) -> list[tuple[str, str]]:
    unknown = set(condition) - {"field", "op", "value"}
    if unknown:
        return [(f"{where}.{sorted(unknown)[0]}", "unknown key in a condition")]
    if not isinstance(condition.get("field"), str):
        return [(f"{where}.field", "must name a field id")]
    op = condition.get("op")
    if op not in OPS:
        return [(f"{where}.op", f"must be one of {', '.join(sorted(OPS))}, not {op!r}")]
    has_value = "value" in condition
    value = condition.get("value")
    if op in PRESENCE_OPS:
        return [(f"{where}.value", f'"{op}" takes no value')] if has_value else []
    if not has_value:
        return [(f"{where}.value", f'"{op}" needs a value')]
    if isinstance(value, Mapping):
        if set(value) != {"field"} or not isinstance(value["field"], str):
            return [(f"{where}.value", 'a field operand must be {"field": "<id>"}')]
        return []
    if op in ("in", "not_in") and not isinstance(value, list):
        return [(f"{where}.value", f'"{op}" needs a list')]
    return []
