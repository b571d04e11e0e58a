"""Condition trees over flat values."""

from __future__ import annotations

import pytest

from desktop_app.forms import condition_fields, evaluate_condition


def leaf(field: str, op: str, value: object = None) -> dict:
    return (
        {"field": field, "op": op} if value is None else {"field": field, "op": op, "value": value}
    )


@pytest.mark.parametrize(
    ("condition", "values", "expected"),
    [
        (leaf("a", "eq", "1"), {"a": "1"}, True),
        (leaf("a", "eq", "1"), {"a": "0"}, False),
        (leaf("a", "ne", "1"), {}, False),  # unanswered operand: false
        (leaf("a", "in", ["1", "2"]), {"a": "2"}, True),
        (leaf("a", "not_in", ["1", "2"]), {"a": "3"}, True),
        (leaf("a", "not_in", ["1", "2"]), {"a": ""}, False),
        (leaf("a", "answered"), {"a": 0}, True),
        (leaf("a", "answered"), {"a": []}, False),
        (leaf("a", "not_answered"), {"a": None}, True),
        (leaf("n", "lt", 5), {"n": 4.5}, True),
        (leaf("n", "ge", 5), {"n": 5}, True),
        (leaf("n", "gt", 5), {"n": "6"}, False),  # text is not a number
        (leaf("d", "le", {"field": "e"}), {"d": "2024-01-31", "e": "2024-02-01"}, True),
        (leaf("d", "gt", {"field": "e"}), {"d": "2024-01-31", "e": "2024-02-01"}, False),
        (leaf("d", "le", {"field": "e"}), {"d": "2024-01-31"}, False),
        (leaf("d", "le", {"field": "e"}), {"d": "2024-02-30", "e": "2024-03-01"}, False),
        (leaf("d", "lt", 5), {"d": "2024-01-01"}, False),  # date vs number
        (leaf("m", "eq", "x"), {"m": ["x", "y"]}, True),
        (leaf("m", "ne", "x"), {"m": ["y"]}, True),
        (leaf("m", "in", ["x", "z"]), {"m": ["y", "z"]}, True),
        (leaf("m", "not_in", ["x", "z"]), {"m": ["y", "z"]}, False),
        ({"all": [leaf("a", "eq", "1"), leaf("b", "answered")]}, {"a": "1", "b": "x"}, True),
        ({"all": [leaf("a", "eq", "1"), leaf("b", "answered")]}, {"a": "1"}, False),
        ({"any": [leaf("a", "eq", "1"), leaf("b", "answered")]}, {"b": "x"}, True),
        ({"not": leaf("a", "eq", "1")}, {}, True),
    ],
)
def test_evaluate(condition: dict, values: dict, expected: bool) -> None:
    assert evaluate_condition(condition, values) is expected


def test_condition_fields_lists_operands_once() -> None:
    condition = {
        "all": [
            leaf("a", "le", {"field": "b"}),
            {"not": leaf("c", "answered")},
            {"any": [leaf("a", "eq", "1"), leaf("d", "in", ["x"])]},
        ]
    }
    assert condition_fields(condition) == ("a", "b", "c", "d")
