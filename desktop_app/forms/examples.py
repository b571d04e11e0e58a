"""Synthetic, valid answers for a form: test fixtures and the server's demo data."""

from __future__ import annotations

import datetime
import random
from collections import ChainMap
from collections.abc import Mapping

from .conditions import evaluate_condition
from .identity import generate_identity_number
from .model import FieldDef, FormDefinition
from .validation import row_issues, validate


def example_values(
    definition: FormDefinition,
    rng: random.Random,
    *,
    today: datetime.date | None = None,
    fixed: Mapping[str, object] | None = None,
    max_attempts: int = 500,
) -> dict[str, object]:
    """Answers for every relevant field (except those marked `example_omit`) that pass
    `validate` with no issue. `fixed` answers are kept as given (e.g. the demo unit's region
    and hospital, a chosen patient); the others are drawn until every cross-field check and
    every fixed answer fits, so the result depends only on the arguments."""
    today = today or datetime.date.today()
    fixed = dict(fixed or {})
    issues: list = []
    for attempt in range(max_attempts):
        # Every other attempt draws children, for forms that accept only them (childhood).
        child = attempt % 2 == 1
        values: dict[str, object] = {}
        for f in definition.fields():
            # Computed answers count for the relevance of later fields, as in validate().
            seen = definition.submitted_values(values) if _needs_resolve(definition) else values
            if f.relevant is not None and not evaluate_condition(f.relevant, seen):
                continue
            if f.id in fixed:
                values[f.id] = fixed[f.id]
            elif f.is_computed or f.example_omit:
                continue  # computed: left to compute_values()
            elif f.is_group:
                values[f.id] = _example_rows(definition, f, rng, today, values, child)
            else:
                values[f.id] = _example(f, rng, today, values, child)
        issues = validate(definition, values, today)
        if not issues and fixed.keys() <= values.keys():
            return values
    raise RuntimeError(
        f"No valid example for {definition.registry}/{definition.form} v{definition.version} "
        f"after {max_attempts} attempts; last issues: {[i.to_dict() for i in issues][:5]}"
    )


def _needs_resolve(definition: FormDefinition) -> bool:
    return any(f.is_computed for f in definition.fields())


def _example_rows(
    definition: FormDefinition,
    group: FieldDef,
    rng: random.Random,
    today: datetime.date,
    values: dict[str, object],
    child: bool = False,
    row_attempts: int = 50,
) -> list[dict[str, object]]:
    """1-3 rows (within min_rows/max_rows), each redrawn until its own fields and row checks
    pass against the answers drawn so far."""
    low = max(1, group.min_rows)
    count = rng.randint(low, max(low, min(3, group.max_rows)))
    counted = definition.submitted_values(values)
    rows: list[dict[str, object]] = []
    for index in range(count):
        row: dict[str, object] = {}
        for _ in range(row_attempts):
            row = {}
            for f in group.fields:
                scope = ChainMap(definition.resolve_row(group, row, counted)[1], counted)
                if f.relevant is not None and not evaluate_condition(f.relevant, scope):
                    continue
                if f.is_computed or f.example_omit:
                    continue
                row[f.id] = _example(f, rng, today, dict(scope), child)
            if not row_issues(definition, group, index, row, counted, today):
                break
        rows.append(row)
    return rows


def _example(
    f: FieldDef,
    rng: random.Random,
    today: datetime.date,
    values: dict[str, object],
    child: bool = False,
) -> object:
    if f.examples:
        return rng.choice(f.examples)
    if f.type in ("text", "note"):
        text = "Synthetic example text." if f.type == "note" else "Example"
        return text[: f.max_length] if f.max_length else text
    if f.type == "integer":
        low = int(f.min) if f.min is not None else 0
        high = int(f.max) if f.max is not None else low + 100
        return rng.randint(low, high)
    if f.type == "decimal":
        low = float(f.min) if f.min is not None else 0.0
        high = float(f.max) if f.max is not None else low + 100.0
        return min(max(round(rng.uniform(low, min(high, low + 100.0)), 1), low), high)
    if f.type == "date":
        return (today - datetime.timedelta(days=rng.randint(0, 730))).isoformat()
    if f.type == "identity_number":
        age_days = rng.randint(3 * 365, 16 * 365) if child else rng.randint(20 * 365, 95 * 365)
        return generate_identity_number(rng, today - datetime.timedelta(days=age_days))
    entries = f.entries(values)
    if f.type == "multiple_choice":
        return [e.code for e in rng.sample(entries, rng.randint(1, len(entries)))]
    return rng.choice(entries).code
