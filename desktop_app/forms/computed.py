"""Computed (read-only) fields: their expressions, checked at load and evaluated over answers.

{"count": [condition, ...]}     how many conditions hold (IPI score from its factors);
                                None while any field they read is unanswered
{"age_at": {"identity_field": "patient_id", "date_field": "diagnosis_date"}}
                                whole years; None while either is unanswered or invalid
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from .conditions import condition_fields, condition_problems, evaluate_condition, is_answered
from .identity import birth_date_of, identity_number_problem

Expression = Mapping[str, Any]

EXPRESSION_KINDS = ("count", "age_at")
_AGE_AT_KEYS = frozenset({"identity_field", "date_field"})


def expression_problems(expr: object, where: str) -> list[tuple[str, str]]:
    """Shape errors as (key path, problem); empty when the expression is well formed."""
    if not isinstance(expr, Mapping) or len(expr) != 1 or next(iter(expr)) not in EXPRESSION_KINDS:
        kinds = " or ".join(f'{{"{k}": ...}}' for k in EXPRESSION_KINDS)
        return [(where, f"must be exactly one of {kinds}")]
    if "count" in expr:
        items = expr["count"]
        if not isinstance(items, list) or not items:
            return [(f"{where}.count", "must be a non-empty list of conditions")]
        problems: list[tuple[str, str]] = []
        for i, item in enumerate(items):
            problems += condition_problems(item, f"{where}.count[{i}]")
        return problems
    spec = expr["age_at"]
    if not isinstance(spec, Mapping) or set(spec) != _AGE_AT_KEYS:
        return [(f"{where}.age_at", 'needs exactly "identity_field" and "date_field"')]
    for key in sorted(_AGE_AT_KEYS):
        if not isinstance(spec[key], str):
            return [(f"{where}.age_at.{key}", "must name a field id")]
    return []


def expression_fields(expr: Expression) -> tuple[str, ...]:
    """Every field id the expression reads, in order, without repeats."""
    if "count" in expr:
        names: tuple[str, ...] = ()
        for item in expr["count"]:
            names += condition_fields(item)
        return tuple(dict.fromkeys(names))
    spec = expr["age_at"]
    return (spec["identity_field"], spec["date_field"])


def evaluate_expression(expr: Expression, values: Mapping[str, object]) -> int | None:
    """The value over `values` (relevant, answered answers only), or None."""
    if any(not is_answered(values.get(name)) for name in expression_fields(expr)):
        return None
    if "count" in expr:
        return sum(1 for item in expr["count"] if evaluate_condition(item, values))
    spec = expr["age_at"]
    return age_at(values.get(spec["identity_field"]), values.get(spec["date_field"]))


def age_at(identity_number: object, day: object) -> int | None:
    """Whole years between the birth date an identity number encodes and an ISO date."""
    if not isinstance(identity_number, str) or not isinstance(day, str):
        return None
    if identity_number_problem(identity_number) is not None:
        return None
    try:
        on = datetime.date.fromisoformat(day)
    except ValueError:
        return None
    born = birth_date_of(identity_number)
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return years if years >= 0 else None
