"""Every shipped definition and registry, generically: the content engineers' forms included."""

from __future__ import annotations

import random

import pytest

from desktop_app.forms import (
    Catalogue,
    FormDefinition,
    compute_values,
    example_values,
    load_catalogue,
    transfer_flags,
    validate,
)

from .conftest import TODAY
from .test_envelope import ENVELOPE_IDS
from .test_registries import DETAILED_FORMS

CATALOGUE = load_catalogue()
FORMS = CATALOGUE.forms()
LATEST = [CATALOGUE.latest(d.registry, d.form) for d in FORMS if d.version == 1]


def _id(definition: FormDefinition) -> str:
    return f"{definition.registry}/{definition.form}/v{definition.version}"


def test_every_registry_has_its_forms(catalogue: Catalogue) -> None:
    for registry in catalogue.registries():
        present = [d.form for d in catalogue.latest_forms(registry.id)]
        required = DETAILED_FORMS.get(registry.id, ["assessment"])
        missing = [form for form in required if form not in present]
        assert not missing, f"{registry.id} lacks {missing}"
        assert set(present) <= set(registry.forms), registry.id
        if registry.icd10_scope is not None:
            assert catalogue.code_list(registry.icd10_scope), registry.id


@pytest.mark.parametrize("definition", FORMS, ids=_id)
def test_definition_round_trips_and_is_placed(definition: FormDefinition) -> None:
    again = FormDefinition.from_dict(definition.to_dict(), fragments={})
    assert [f.id for f in again.all_fields()] == [f.id for f in definition.all_fields()]
    assert definition.pathway_step in CATALOGUE.pathway_steps()
    assert definition.form in CATALOGUE.registry(definition.registry).forms


@pytest.mark.parametrize("definition", LATEST, ids=_id)
def test_latest_forms_start_with_the_envelope(definition: FormDefinition) -> None:
    assert [f.id for f in definition.fields()][: len(ENVELOPE_IDS)] == ENVELOPE_IDS


@pytest.mark.parametrize("definition", FORMS, ids=_id)
def test_example_values_validate_clean(definition: FormDefinition) -> None:
    for seed in range(4):
        values = example_values(definition, random.Random(seed), today=TODAY)
        assert validate(definition, values, TODAY) == [], seed
        filled = compute_values(definition, values)
        assert validate(definition, filled, TODAY) == [], seed
        assert set(transfer_flags(definition, values)) == {"nopho_care"}


GROUPED = [(d, f) for d in FORMS for f in d.fields() if f.is_group]


@pytest.mark.parametrize(("definition", "group"), GROUPED, ids=lambda x: getattr(x, "id", None))
def test_issue_paths_in_repeat_rows(definition: FormDefinition, group) -> None:
    # The group may be hidden by an earlier answer: draw until it is there.
    values = next(
        v
        for seed in range(50)
        if group.id in (v := example_values(definition, random.Random(seed), today=TODAY))
    )
    rows = values[group.id]
    last = len(rows) - 1
    rows[last]["no_such_field"] = 1
    required = [f for f in group.fields if f.required and f.relevant is None and f.id in rows[last]]
    expected = [(f"{group.id}[{last}].no_such_field", "field.unknown")]
    if required:
        del rows[last][required[0].id]
        expected.append((f"{group.id}[{last}].{required[0].id}", "required"))
    issues = [(i.path, i.key) for i in validate(definition, values, TODAY)]
    assert issues[: len(expected)] == expected
