"""Helpers shared by the test_rules_*.py files: valid messages steered by fixed answers, the
issues a message gets, and a rule's passing and failing message."""

from __future__ import annotations

import copy
import datetime
import random
from collections.abc import Callable
from typing import ClassVar

import pytest

from desktop_app.forms import (
    Catalogue,
    FormDefinition,
    Issue,
    example_values,
    generate_identity_number,
    validate,
)

from .conftest import TODAY

# Fixed so that every date a test sets is between the diagnosis and the report.
DATES = {"diagnosis_date": "2025-01-15", "report_date": "2025-05-20"}


def form_fixture(registry: str, name: str) -> Callable[..., FormDefinition]:
    """A module-scoped fixture, called `name`, giving that form of the registry."""

    @pytest.fixture(scope="module", name=name)
    def definition(catalogue: Catalogue) -> FormDefinition:
        return catalogue.get(registry, name, 1)

    return definition


def valid_values(definition: FormDefinition, seed: int = 1, **fixed: object) -> dict[str, object]:
    """Valid answers (no issue at all, warnings included) with `fixed` kept as given."""
    return example_values(definition, random.Random(seed), today=TODAY, fixed=fixed)


def make(definition: FormDefinition, seed: int = 1, **fixed: object) -> dict[str, object]:
    """`valid_values` with the diagnosis and report on the `DATES` unless `fixed` moves them."""
    return valid_values(definition, seed, **{**DATES, **fixed})


def example(definition: FormDefinition, seed: int = 0, **fixed: object) -> dict[str, object]:
    """A valid message steered by `fixed`, checked clean; the test then changes one thing."""
    values = valid_values(definition, seed, **fixed)
    assert validate(definition, values, TODAY) == []
    return values


def patient_born(born: datetime.date, kind: str = "birth") -> str:
    return generate_identity_number(random.Random(born.toordinal()), born, kind=kind)


def found(definition: FormDefinition, values: dict[str, object]) -> set[tuple[str, str, str]]:
    """The (key, path, severity) of every issue of the message."""
    return {(i.key, i.path, i.severity) for i in validate(definition, values, TODAY)}


def keys(issues: list[Issue]) -> list[tuple[str, str]]:
    """The (path, key) of each issue, in order."""
    return [(issue.path, issue.key) for issue in issues]


def assert_rule(
    definition: FormDefinition,
    context: dict[str, object],
    failing: dict[str, object],
    expected: tuple[str, str, str],
) -> None:
    """`context` passes with no issue; the same message changed by `failing` gives exactly
    the `expected` (key, path, severity) and nothing else."""
    passing = make(definition, **context)
    assert validate(definition, passing, TODAY) == []
    broken = {**copy.deepcopy(passing), **failing}
    assert found(definition, broken) == {expected}


def assert_examples_validate_clean(definition: FormDefinition, seed: int) -> None:
    """The generator's own answers pass, with an ICD-10 code from the form's list."""
    values = example_values(definition, random.Random(seed), today=TODAY)
    assert validate(definition, values, TODAY) == []
    assert values["icd10"] in definition.field("icd10").codes


class EveryFormTests:
    """What every form of a detailed registry passes. A test module subclasses this as
    `TestEveryForm`, parametrized over `name` (its forms), and sets the class attributes."""

    registry: ClassVar[str]
    # An ICD-10 code of the registry's scope, and one just outside it.
    scope_edge: ClassVar[tuple[str, str]]

    def form(self, catalogue: Catalogue, name: str) -> FormDefinition:
        return catalogue.get(self.registry, name, 1)

    @pytest.mark.parametrize("seed", [3, 17, 2025])
    def test_example_values_validate_clean(
        self, catalogue: Catalogue, name: str, seed: int
    ) -> None:
        assert_examples_validate_clean(self.form(catalogue, name), seed)

    def test_form_shape(self, catalogue: Catalogue, name: str) -> None:
        definition = self.form(catalogue, name)
        assert definition.pathway_step == name
        ids = [f.id for f in definition.fields()]
        assert ids[0] == "patient_id"  # the common envelope comes first
        assert ids.index("report_date") < ids.index("diagnosis_date") < ids.index("icd10")
        assert definition.field("icd10").code_list == f"icd10_{self.registry}"

    def test_icd10_out_of_scope_is_rejected(self, catalogue: Catalogue, name: str) -> None:
        definition = self.form(catalogue, name)
        inside, outside = self.scope_edge
        values = make(definition, icd10=inside)
        assert found(definition, {**values, "icd10": outside}) == {
            ("code.out_of_scope", "icd10", "error")
        }

    def test_diagnosis_not_after_report(self, catalogue: Catalogue, name: str) -> None:
        assert_rule(
            self.form(catalogue, name),
            {"diagnosis_date": "2025-01-15", "report_date": "2025-01-15"},
            {"report_date": "2025-01-14"},
            ("check:diagnosis_not_after_report", "diagnosis_date", "error"),
        )
