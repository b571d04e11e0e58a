"""Each rule of the lymphoid malignancies forms (assessment, treatment, response), with a
passing and a failing message; the IPI score computed from its five factors."""

from __future__ import annotations

import datetime

import pytest

from desktop_app.forms import Catalogue, FormDefinition, compute_values, validate

from .conftest import TODAY
from .rules_support import example, form_fixture, keys, patient_born

assessment = form_fixture("lymphoid", "assessment")
treatment = form_fixture("lymphoid", "treatment")
response = form_fixture("lymphoid", "response")


# The envelope and the diagnosis ----------------------------------------------------------


@pytest.mark.parametrize("form", ["assessment", "treatment", "response"])
def test_every_form_has_valid_examples(catalogue: Catalogue, form: str) -> None:
    definition = catalogue.get("lymphoid", form, 1)
    for seed in range(5):
        example(definition, seed)


@pytest.mark.parametrize("form", ["assessment", "treatment", "response"])
def test_diagnosis_not_after_report(catalogue: Catalogue, form: str) -> None:
    definition = catalogue.get("lymphoid", form, 1)
    values = example(definition, report_date="2025-05-02", diagnosis_date="2025-05-02")
    values["diagnosis_date"] = "2025-05-03"
    values["report_date"] = "2025-05-02"
    found = keys(validate(definition, values, TODAY))
    assert ("diagnosis_date", "check:diagnosis_not_after_report") in found


@pytest.mark.parametrize(
    ("code", "key"),
    [("C50.4", "code.out_of_scope"), ("C92.0", "code.out_of_scope"), ("C83", "code.incomplete")],
)
def test_icd10_must_be_in_the_registry_scope(
    assessment: FormDefinition, code: str, key: str
) -> None:
    values = example(assessment, histology="9680/3", icd10="C83.3")
    values["icd10"] = code
    assert keys(validate(assessment, values, TODAY)) == [("icd10", key)]


def test_scope_codes_of_every_listed_category_are_accepted(assessment: FormDefinition) -> None:
    scope = assessment.field("icd10").codes
    assert scope is not None
    categories = {code[:3] for code in scope.codes()}
    assert categories == {"C81", "C82", "C83", "C84", "C85", "C86", "C88", "C90", "C91", "C96"}


# Histology and ICD-10 agree --------------------------------------------------------------


def test_hodgkin_histology_needs_c81(assessment: FormDefinition) -> None:
    values = example(assessment, histology="9663/3", icd10="C81.1")
    values["icd10"] = "C83.3"
    assert keys(validate(assessment, values, TODAY)) == [
        ("icd10", "check:hodgkin_histology_needs_c81")
    ]


def test_c81_needs_hodgkin_histology(assessment: FormDefinition) -> None:
    values = example(assessment, histology="9680/3", icd10="C83.3")
    values["icd10"] = "C81.9"
    assert keys(validate(assessment, values, TODAY)) == [
        ("histology", "check:c81_needs_hodgkin_histology")
    ]


def test_myeloma_needs_c90_0(assessment: FormDefinition) -> None:
    values = example(assessment, histology="9732/3", icd10="C90.0")
    values["icd10"] = "C90.2"
    assert keys(validate(assessment, values, TODAY)) == [("icd10", "check:myeloma_needs_c90_0")]


def test_myeloma_asks_iss_instead_of_ann_arbor(assessment: FormDefinition) -> None:
    values = example(assessment, histology="9732/3", icd10="C90.0")
    for staged in ("ann_arbor_stage", "b_symptoms", "extranodal_sites", "ipi_score"):
        assert not assessment.is_relevant(staged, values)
    assert values["myeloma_iss"] and values["myeloma_riss"]
    del values["myeloma_iss"]
    assert keys(validate(assessment, values, TODAY)) == [("myeloma_iss", "required")]

    lymphoma = example(assessment, histology="9680/3", icd10="C83.3")
    assert not assessment.is_relevant("myeloma_iss", lymphoma)
    del lymphoma["ann_arbor_stage"]
    assert keys(validate(assessment, lymphoma, TODAY)) == [("ann_arbor_stage", "required")]


def test_follicular_lymphoma_needs_a_grade(assessment: FormDefinition) -> None:
    values = example(assessment, histology="9690/3", icd10="C82.9")
    del values["follicular_grade"]
    assert keys(validate(assessment, values, TODAY)) == [("follicular_grade", "required")]
    values["follicular_grade"] = "3B"
    assert validate(assessment, values, TODAY) == []


def test_other_basis_of_diagnosis_needs_a_description(assessment: FormDefinition) -> None:
    values = example(assessment, basis_of_diagnosis="other")
    del values["basis_of_diagnosis_other"]
    assert keys(validate(assessment, values, TODAY)) == [("basis_of_diagnosis_other", "required")]


# Stage -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("b_symptoms", "suffix", "fits"),
    [
        ("1", "B", True),
        ("1", "A", False),
        ("0", "A", True),
        ("0", "B", False),
        ("99", "A", True),
        ("99", "B", True),
    ],
)
def test_b_symptoms_fit_a_b(
    assessment: FormDefinition, b_symptoms: str, suffix: str, fits: bool
) -> None:
    values = example(assessment, histology="9680/3", icd10="C83.3", b_symptoms="99")
    values.update(b_symptoms=b_symptoms, ann_arbor_ab=suffix)
    expected = [] if fits else [("ann_arbor_ab", "check:b_symptoms_fit_ab")]
    assert keys(validate(assessment, values, TODAY)) == expected


def test_extension_e_needs_an_extranodal_site(assessment: FormDefinition) -> None:
    values = example(assessment, histology="9680/3", ann_arbor_e="1", extranodal_sites=1)
    values["extranodal_sites"] = 0
    assert keys(validate(assessment, values, TODAY)) == [
        ("extranodal_sites", "check:extension_e_needs_extranodal_site")
    ]
    values["ann_arbor_e"] = "0"
    assert validate(assessment, values, TODAY) == []


# IPI -------------------------------------------------------------------------------------

BORN = datetime.date(1964, 3, 10)


@pytest.mark.parametrize(
    ("diagnosis_date", "ldh", "ecog", "stage", "sites", "score"),
    [
        ("2024-03-09", "0", "0", "I", 0, 0),  # age 59
        ("2025-03-09", "0", "1", "II", 1, 0),  # age 60 exactly: not over 60; one site is not >1
        ("2025-03-10", "0", "0", "I", 0, 1),  # age 61
        ("2024-03-09", "1", "0", "I", 0, 1),
        ("2024-03-09", "0", "2", "I", 0, 1),
        ("2024-03-09", "0", "0", "III", 0, 1),
        ("2024-03-09", "0", "0", "I", 2, 1),
        ("2025-03-10", "1", "4", "IV", 3, 5),
        ("2025-03-10", "99", "99", "99", 3, 2),  # unknown LDH, ECOG, stage give no point
    ],
)
def test_ipi_score_counts_its_five_factors(
    assessment: FormDefinition,
    diagnosis_date: str,
    ldh: str,
    ecog: str,
    stage: str,
    sites: int,
    score: int,
) -> None:
    values = example(
        assessment,
        patient_id=patient_born(BORN),
        diagnosis_date=diagnosis_date,
        report_date="2025-05-01",
        histology="9680/3",
        icd10="C83.3",
        ann_arbor_e="0",
    )
    values.update(ldh_elevated=ldh, ecog=ecog, ann_arbor_stage=stage, extranodal_sites=sites)
    computed = compute_values(assessment, values)
    assert computed["ipi_score"] == score
    assert validate(assessment, computed, TODAY) == []
    assert assessment.submitted_values(values)["ipi_score"] == score


def test_ipi_score_waits_for_every_factor(assessment: FormDefinition) -> None:
    values = example(assessment, histology="9680/3", icd10="C83.3")
    del values["ldh_elevated"]
    assert compute_values(assessment, values)["ipi_score"] is None


def test_a_wrong_ipi_score_sent_is_a_mismatch(assessment: FormDefinition) -> None:
    values = example(
        assessment,
        patient_id=patient_born(BORN),
        diagnosis_date="2025-03-10",
        histology="9680/3",
        icd10="C83.3",
        ldh_elevated="1",
        ecog="0",
        ann_arbor_stage="II",
        extranodal_sites=0,
        ann_arbor_e="0",
    )
    values["ipi_score"] = 0
    assert keys(validate(assessment, values, TODAY)) == [("ipi_score", "computed.mismatch")]
    values["ipi_score"] = 2
    assert validate(assessment, values, TODAY) == []


# Treatment: one row per line -------------------------------------------------------------


def line(**fields: object) -> dict[str, object]:
    row: dict[str, object] = {
        "line_regimen": "r_chop",
        "line_cycles": 6,
        "line_start_date": "2025-02-01",
        "line_radiotherapy": "0",
        "line_auto_sct": "0",
        "line_allo_sct": "0",
    }
    row.update(fields)
    return row


def treated(definition: FormDefinition, *rows: dict[str, object]) -> dict[str, object]:
    return example(definition, diagnosis_date="2025-01-15", treatment_lines=list(rows))


def test_treatment_needs_at_least_one_line(treatment: FormDefinition) -> None:
    values = treated(treatment, line())
    values["treatment_lines"] = []
    assert keys(validate(treatment, values, TODAY)) == [("treatment_lines", "repeat.min_rows")]


def test_line_cannot_start_before_diagnosis(treatment: FormDefinition) -> None:
    values = treated(treatment, line(), line(line_start_date="2025-01-15"))
    values["treatment_lines"][1]["line_start_date"] = "2025-01-14"
    assert keys(validate(treatment, values, TODAY)) == [
        ("treatment_lines[1].line_start_date", "check:line_start_not_before_diagnosis")
    ]


def test_radiotherapy_details_only_with_radiotherapy(treatment: FormDefinition) -> None:
    rt = line(
        line_radiotherapy="1",
        line_rt_field="involved_site",
        line_rt_dose_gy=30.0,
        line_rt_fractions=15,
    )
    values = treated(treatment, rt)
    del values["treatment_lines"][0]["line_rt_dose_gy"]
    assert keys(validate(treatment, values, TODAY)) == [
        ("treatment_lines[0].line_rt_dose_gy", "required")
    ]
    # Without radiotherapy a dose is hidden: never checked, never sent.
    values["treatment_lines"][0].update(line_radiotherapy="0", line_rt_dose_gy=999.0)
    assert validate(treatment, values, TODAY) == []
    sent = treatment.submitted_values(values)["treatment_lines"][0]
    assert "line_rt_dose_gy" not in sent and "line_rt_fractions" not in sent


def test_dose_has_limits_in_gy(treatment: FormDefinition) -> None:
    values = treated(
        treatment,
        line(
            line_radiotherapy="1", line_rt_field="other", line_rt_dose_gy=40, line_rt_fractions=20
        ),
    )
    values["treatment_lines"][0]["line_rt_dose_gy"] = 120.5
    assert keys(validate(treatment, values, TODAY)) == [
        ("treatment_lines[0].line_rt_dose_gy", "number.above_max")
    ]
    assert treatment.field("line_rt_dose_gy").unit == "Gy"


def test_low_dose_per_fraction_is_a_warning(treatment: FormDefinition) -> None:
    values = treated(
        treatment,
        line(
            line_radiotherapy="1",
            line_rt_field="involved_site",
            line_rt_dose_gy=4.0,
            line_rt_fractions=2,
        ),
    )
    values["treatment_lines"][0]["line_rt_fractions"] = 5
    issues = validate(treatment, values, TODAY)
    assert keys(issues) == [
        ("treatment_lines[0].line_rt_fractions", "check:line_dose_per_fraction")
    ]
    assert issues[0].severity == "warning"


def test_line_without_drugs_needs_radiotherapy_or_transplant(treatment: FormDefinition) -> None:
    values = treated(treatment, line(line_regimen="none", line_cycles=None, line_auto_sct="1"))
    assert not treatment.is_relevant("treatment_lines[0].line_cycles", values)
    values["treatment_lines"][0]["line_auto_sct"] = "0"
    assert keys(validate(treatment, values, TODAY)) == [
        ("treatment_lines[0].line_regimen", "check:line_without_drugs_needs_treatment")
    ]
    values["treatment_lines"][0]["line_allo_sct"] = "1"
    assert validate(treatment, values, TODAY) == []


def test_other_regimen_needs_a_name(treatment: FormDefinition) -> None:
    values = treated(treatment, line(line_regimen="other", line_regimen_other="Demo-regime"))
    del values["treatment_lines"][0]["line_regimen_other"]
    assert keys(validate(treatment, values, TODAY)) == [
        ("treatment_lines[0].line_regimen_other", "required")
    ]


# Response --------------------------------------------------------------------------------


def test_response_not_before_diagnosis(response: FormDefinition) -> None:
    values = example(response, diagnosis_date="2025-01-15", response_date="2025-01-15")
    values["response_date"] = "2025-01-14"
    assert keys(validate(response, values, TODAY)) == [
        ("response_date", "check:response_not_before_diagnosis")
    ]


def test_relapse_needs_a_date_after_the_response(response: FormDefinition) -> None:
    values = example(
        response,
        diagnosis_date="2024-06-01",
        response_date="2024-12-01",
        relapse="1",
        relapse_date="2024-12-01",
    )
    values["relapse_date"] = "2024-11-30"
    assert keys(validate(response, values, TODAY)) == [
        ("relapse_date", "check:relapse_after_response")
    ]
    del values["relapse_date"]
    assert keys(validate(response, values, TODAY)) == [("relapse_date", "required")]
    values["relapse"] = "0"
    assert validate(response, values, TODAY) == []
