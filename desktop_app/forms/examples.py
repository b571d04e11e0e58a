"""Synthetic, valid answers for a form: test fixtures and the server's demo data."""

from __future__ import annotations

import datetime
import random
from collections.abc import Mapping

from .conditions import evaluate_condition
from .identity import generate_identity_number
from .model import FieldDef, FormDefinition
from .validation import validate


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
    for _ in range(max_attempts):
        values: dict[str, object] = {}
        for f in definition.fields():
            if f.relevant is not None and not evaluate_condition(f.relevant, values):
                continue
            if f.id in fixed:
                values[f.id] = fixed[f.id]
            elif not f.example_omit:
                values[f.id] = _example(f, rng, today, values)
        issues = validate(definition, values, today)
        if not issues and fixed.keys() <= values.keys():
            return values
    raise RuntimeError(
        f"No valid example for {definition.registry}/{definition.form} v{definition.version} "
        f"after {max_attempts} attempts; last issues: {[i.to_dict() for i in issues][:5]}"
    )


def _example(
    f: FieldDef, rng: random.Random, today: datetime.date, values: dict[str, object]
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
        age_days = rng.randint(20 * 365, 95 * 365)
        return generate_identity_number(rng, today - datetime.timedelta(days=age_days))
    entries = f.entries(values)
    if f.type == "multiple_choice":
        return [e.code for e in rng.sample(entries, rng.randint(1, len(entries)))]
    return rng.choice(entries).code
