"""Each rule of the childhood cancer forms (assessment, treatment, late effects), with a
passing and a failing message: under 18 at diagnosis, ICCC-3 subgroup within its main group,
treatment dates, late effects, and the NOPHO-Care transfer flag."""

from __future__ import annotations

import datetime

import pytest

from desktop_app.forms import Catalogue, FormDefinition, compute_values, transfer_flags, validate

from . import rules_support
from .conftest import TODAY
from .rules_support import form_fixture, keys, patient_born

FORMS = ["assessment", "treatment", "late_effects"]
CHILD_BORN = datetime.date(2015, 3, 1)

assessment = form_fixture("childhood", "assessment")
treatment = form_fixture("childhood", "treatment")
late_effects = form_fixture("childhood", "late_effects")


def example(definition: FormDefinition, seed: int = 0, **fixed: object) -> dict[str, object]:
    """A valid message for a child (the generator's default patients are adults)."""
    fixed.setdefault("patient_id", patient_born(CHILD_BORN))
    return rules_support.example(definition, seed, **fixed)


@pytest.mark.parametrize("form", FORMS)
def test_every_form_has_valid_examples(catalogue: Catalogue, form: str) -> None:
    definition = catalogue.get("childhood", form, 1)
    for seed in range(5):
        example(definition, seed)


@pytest.mark.parametrize("form", FORMS)
def test_diagnosis_not_after_report(catalogue: Catalogue, form: str) -> None:
    definition = catalogue.get("childhood", form, 1)
    values = example(definition, report_date="2025-05-02", diagnosis_date="2025-05-02")
    values["diagnosis_date"] = "2025-05-03"
    found = keys(validate(definition, values, TODAY))
    assert ("diagnosis_date", "check:diagnosis_not_after_report") in found


# Under 18 at diagnosis -------------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("kind", ["birth", "d"])
def test_17_at_diagnosis_accepted_18_rejected(catalogue: Catalogue, form: str, kind: str) -> None:
    definition = catalogue.get("childhood", form, 1)
    born = datetime.date(2006, 6, 2)
    # The day before the 18th birthday: 17, accepted.
    values = example(definition, patient_id=patient_born(born, kind), diagnosis_date="2024-06-01")
    assert compute_values(definition, values)["age_at_diagnosis"] == 17
    # On the 18th birthday: rejected (the other dates moved along so only the age is wrong).
    values.update(diagnosis_date="2024-06-02", report_date="2025-05-01")
    if "follow_up_date" in values:
        values["follow_up_date"] = "2025-05-01"
    for row in values.get("treatment_elements", []):
        row["element_start_date"] = "2025-05-01"
        row.pop("element_end_date", None)
    assert compute_values(definition, values)["age_at_diagnosis"] == 18
    issues = validate(definition, values, TODAY)
    assert keys(issues) == [("age_at_diagnosis", "check:under_18_at_diagnosis")]
    assert "18" in issues[0].message("en") and "18" in issues[0].message("nb")


def test_adult_rejected(assessment: FormDefinition) -> None:
    values = example(assessment, diagnosis_date="2024-01-10")
    values["patient_id"] = patient_born(datetime.date(1980, 1, 10))
    assert keys(validate(assessment, values, TODAY)) == [
        ("age_at_diagnosis", "check:under_18_at_diagnosis")
    ]


def test_age_rule_needs_an_identity_number(assessment: FormDefinition) -> None:
    values = example(assessment)
    del values["patient_id"]
    values.update(patient_no_norwegian_id=["1"], patient_id_specification="Synthetic, born 2015")
    assert compute_values(assessment, values)["age_at_diagnosis"] is None
    assert validate(assessment, values, TODAY) == []


def test_icd10_scope(assessment: FormDefinition) -> None:
    values = example(assessment, icd10="C71.6")
    for code, key in [("D05.1", "code.out_of_scope"), ("C79.3", "code.out_of_scope")]:
        values["icd10"] = code
        assert keys(validate(assessment, values, TODAY)) == [("icd10", key)]
    for code in ("C22.2", "C74.9", "C91.0", "D33.1", "D43.0", "D44.4"):
        values["icd10"] = code
        assert validate(assessment, values, TODAY) == [], code


# ICCC-3 and ICD-O-3 ----------------------------------------------------------------------


def test_iccc3_subgroups_are_47_and_filtered_by_main_group(assessment: FormDefinition) -> None:
    subgroup = assessment.field("iccc3_subgroup")
    assert len(subgroup.entries()) == 47
    main_groups = assessment.field("iccc3_main_group").allowed_codes()
    assert len(main_groups) == 12
    assert {e.attributes["main_group"] for e in subgroup.entries()} == main_groups - {"V"}
    assert [code for code, _ in subgroup.choices("en", {"iccc3_main_group": "IV"})] == [
        "IVa",
        "IVb",
    ]


def test_subgroup_must_belong_to_main_group(assessment: FormDefinition) -> None:
    values = example(assessment, iccc3_main_group="I", iccc3_subgroup="Ia")
    values["iccc3_subgroup"] = "IIa"
    assert keys(validate(assessment, values, TODAY)) == [("iccc3_subgroup", "code.filtered_out")]


def test_retinoblastoma_has_no_subgroup_and_sits_in_the_eye(assessment: FormDefinition) -> None:
    values = example(
        assessment, iccc3_main_group="V", icdo3_topography="C69.2", icdo3_morphology="9510/3"
    )
    assert not assessment.is_relevant("iccc3_subgroup", values)
    values["icdo3_topography"] = "C71.0"
    assert keys(validate(assessment, values, TODAY)) == [
        ("icdo3_topography", "check:retinoblastoma_in_eye")
    ]


@pytest.mark.parametrize(
    ("field", "code", "key"),
    [
        ("icdo3_topography", "C77.0", None),
        ("icdo3_topography", "C42.1", None),
        ("icdo3_topography", "C43.9", "code.out_of_scope"),
        ("icdo3_topography", "C71", "code.incomplete"),
        ("icdo3_morphology", "9500/3", None),
        ("icdo3_morphology", "9999/3", "code.out_of_scope"),
        ("icdo3_morphology", "neuroblastoma", "code.unknown"),
    ],
)
def test_icdo3_codes(assessment: FormDefinition, field: str, code: str, key: str | None) -> None:
    values = example(assessment, iccc3_main_group="IV", iccc3_subgroup="IVa")
    values[field] = code
    assert keys(validate(assessment, values, TODAY)) == ([(field, key)] if key else [])


def test_protocol_name_required_when_included(assessment: FormDefinition) -> None:
    values = example(assessment, protocol_inclusion="1", protocol_name="ALLTogether1")
    del values["protocol_name"]
    assert keys(validate(assessment, values, TODAY)) == [("protocol_name", "required")]
    values["protocol_inclusion"] = "0"
    assert validate(assessment, values, TODAY) == []


def test_treating_hospital_is_a_university_hospital(assessment: FormDefinition) -> None:
    values = example(assessment, treating_hospital="1903")
    values["treating_hospital"] = "1801"  # Bodø: a hospital, not one that treats children
    assert keys(validate(assessment, values, TODAY)) == [("treating_hospital", "code.unknown")]


# NOPHO-Care ------------------------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(
    ("reservation", "diagnosis_date", "flag"),
    [
        ("0", "2024-05-01", True),
        ("0", "2019-01-01", True),
        ("0", "2018-12-31", False),  # before NOPHO-Care
        ("1", "2024-05-01", False),  # reserved
        ("99", "2024-05-01", False),  # unknown: never transferred
    ],
)
def test_nopho_care_flag(
    catalogue: Catalogue, form: str, reservation: str, diagnosis_date: str, flag: bool
) -> None:
    definition = catalogue.get("childhood", form, 1)
    values = example(definition, nopho_reservation=reservation, diagnosis_date=diagnosis_date)
    assert transfer_flags(definition, values) == {"nopho_care": flag}


def test_no_transfer_without_an_answer(assessment: FormDefinition) -> None:
    values = example(assessment, nopho_reservation="0")
    del values["nopho_reservation"]
    assert transfer_flags(assessment, values) == {"nopho_care": False}
    assert keys(validate(assessment, values, TODAY)) == [("nopho_reservation", "required")]


# Treatment elements ----------------------------------------------------------------------


def element(**fields: object) -> dict[str, object]:
    row: dict[str, object] = {"element_type": "chemotherapy", "element_start_date": "2025-02-01"}
    row.update(fields)
    return row


def treated(definition: FormDefinition, *rows: dict[str, object]) -> dict[str, object]:
    return example(definition, diagnosis_date="2025-01-15", treatment_elements=list(rows))


def test_element_cannot_start_before_diagnosis(treatment: FormDefinition) -> None:
    values = treated(treatment, element(), element(element_type="surgery"))
    values["treatment_elements"][1]["element_start_date"] = "2025-01-14"
    assert keys(validate(treatment, values, TODAY)) == [
        ("treatment_elements[1].element_start_date", "check:element_start_not_before_diagnosis")
    ]


def test_element_cannot_end_before_it_starts(treatment: FormDefinition) -> None:
    values = treated(treatment, element(element_end_date="2025-02-01"))
    values["treatment_elements"][0]["element_end_date"] = "2025-01-31"
    assert keys(validate(treatment, values, TODAY)) == [
        ("treatment_elements[0].element_end_date", "check:element_end_not_before_start")
    ]


def test_transplant_and_radiotherapy_details(treatment: FormDefinition) -> None:
    values = treated(
        treatment,
        element(element_type="stem_cell_transplant", element_sct_type="allogeneic"),
        element(element_type="radiotherapy", element_rt_dose_gy=23.4, element_rt_fractions=13),
    )
    del values["treatment_elements"][0]["element_sct_type"]
    del values["treatment_elements"][1]["element_rt_fractions"]
    assert keys(validate(treatment, values, TODAY)) == [
        ("treatment_elements[0].element_sct_type", "required"),
        ("treatment_elements[1].element_rt_fractions", "required"),
    ]


def test_treatment_needs_an_element(treatment: FormDefinition) -> None:
    values = treated(treatment, element())
    values["treatment_elements"] = []
    assert keys(validate(treatment, values, TODAY)) == [("treatment_elements", "repeat.min_rows")]


# Late effects ----------------------------------------------------------------------------


def test_follow_up_not_before_diagnosis(late_effects: FormDefinition) -> None:
    values = example(late_effects, diagnosis_date="2024-01-15", follow_up_date="2024-01-15")
    values["follow_up_date"] = "2024-01-14"
    assert keys(validate(late_effects, values, TODAY)) == [
        ("follow_up_date", "check:follow_up_not_before_diagnosis")
    ]


@pytest.mark.parametrize(
    ("chosen", "fits"),
    [(["none"], True), (["cardiac", "hearing"], True), (["none", "cardiac"], False)],
)
def test_no_late_effects_stands_alone(
    late_effects: FormDefinition, chosen: list[str], fits: bool
) -> None:
    values = example(late_effects, late_effects=["renal"])
    values["late_effects"] = chosen
    expected = [] if fits else [("late_effects", "check:no_late_effects_alone")]
    assert keys(validate(late_effects, values, TODAY)) == expected


def test_other_late_effect_needs_a_description(late_effects: FormDefinition) -> None:
    values = example(late_effects, late_effects=["other"], late_effects_other="Demo")
    del values["late_effects_other"]
    assert keys(validate(late_effects, values, TODAY)) == [("late_effects_other", "required")]
