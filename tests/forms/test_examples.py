"""example_values(): synthetic, complete, valid messages for other tests and demo data."""

from __future__ import annotations

import random

import pytest

from desktop_app.forms import Catalogue, FormDefinition, example_values, validate

from .conftest import TODAY


@pytest.mark.parametrize("seed", range(25))
def test_examples_validate_clean(catalogue: Catalogue, seed: int) -> None:
    for definition in catalogue.forms():
        values = example_values(definition, random.Random(seed), today=TODAY)
        assert validate(definition, values, TODAY) == []


def test_every_relevant_field_is_filled(breast: FormDefinition) -> None:
    values = example_values(breast, random.Random(5), today=TODAY)
    relevance = breast.relevance(values)
    for field in breast.fields():
        if relevance[field.id] and not field.example_omit:
            assert field.id in values, field.id
    assert "patient_no_norwegian_id" not in values
    assert breast.submitted_values(values) == values


def test_examples_are_reproducible_and_varied(breast: FormDefinition) -> None:
    first = example_values(breast, random.Random(11), today=TODAY)
    assert first == example_values(breast, random.Random(11), today=TODAY)
    ids = {example_values(breast, random.Random(s), today=TODAY)["patient_id"] for s in range(20)}
    assert len(ids) == 20


def test_examples_default_to_the_real_today(breast: FormDefinition) -> None:
    assert validate(breast, example_values(breast, random.Random(3))) == []


def test_fixed_answers_are_kept_and_the_rest_fits(breast: FormDefinition) -> None:
    fixed = {"hospital": "1903", "report_date": "2025-04-30", "patient_name": "Demo Person"}
    values = example_values(breast, random.Random(2), today=TODAY, fixed=fixed)
    assert values.items() >= fixed.items()
    assert values["region"] == "4"  # the only region Tromsø belongs to
    assert values["diagnosis_date"] <= "2025-04-30"
    assert validate(breast, values, TODAY) == []


def test_impossible_fixed_answers_fail_clearly(breast: FormDefinition) -> None:
    with pytest.raises(RuntimeError, match="No valid example"):
        example_values(breast, random.Random(2), fixed={"er_percent": 101}, max_attempts=3)
