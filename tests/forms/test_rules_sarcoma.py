"""The sarcoma registry's forms (assessment, surgery, radiotherapy) and code lists: each form
gives clean example values, keeps its ICD-10 scope, and each of its rules has a passing and a
failing message."""

from __future__ import annotations

import re

import pytest

from desktop_app.forms import Catalogue, FormDefinition, validate

from .conftest import TODAY
from .rules_support import EveryFormTests, assert_rule, found, make

FORMS = ("assessment", "surgery", "radiotherapy")
GIST = "8936/3"


def form(catalogue: Catalogue, name: str) -> FormDefinition:
    return catalogue.get("sarcoma", name, 1)


# --- every form -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FORMS)
class TestEveryForm(EveryFormTests):
    registry = "sarcoma"
    scope_edge = ("C16.2", "C61")  # GIST of the stomach: a sarcoma in an organ


@pytest.mark.parametrize(
    ("name", "date_field"), [("surgery", "surgery_date"), ("radiotherapy", "rt_start_date")]
)
def test_treatment_date_not_before_diagnosis(
    catalogue: Catalogue, name: str, date_field: str
) -> None:
    context: dict[str, object] = {date_field: "2025-01-15"}  # the same day is fine
    if date_field == "rt_start_date":
        context["rt_end_date"] = "2025-02-20"
    assert_rule(
        form(catalogue, name),
        context,
        {date_field: "2025-01-14"},
        (f"check:{date_field}_not_before_diagnosis", date_field, "error"),
    )


# --- assessment -------------------------------------------------------------------------------

BONE_TUMOUR = {"who_subtype": "9180/3", "icd10": "C40.2", "localisation": "bone_appendicular"}


def test_bone_code_needs_bone_localisation(catalogue: Catalogue) -> None:
    assert_rule(
        form(catalogue, "assessment"),
        BONE_TUMOUR,
        # A soft-tissue site asks for depth and grade too: answer them, so only the rule fires.
        {"localisation": "lower_extremity", "depth": "deep", "fnclcc_grade": "3"},
        ("check:bone_code_needs_bone_localisation", "localisation", "error"),
    )


def test_bone_localisation_needs_bone_code(catalogue: Catalogue) -> None:
    assert_rule(
        form(catalogue, "assessment"),
        BONE_TUMOUR,
        {"icd10": "C49.2"},
        ("check:bone_localisation_needs_bone_code", "icd10", "error"),
    )


def test_gist_outside_the_abdomen_warns(catalogue: Catalogue) -> None:
    assert_rule(
        form(catalogue, "assessment"),
        {"who_subtype": GIST, "icd10": "C16.2", "localisation": "intra_abdominal"},
        {"localisation": "lower_extremity", "depth": "deep"},
        ("check:gist_localisation", "localisation", "warning"),
    )


def test_referral_after_biopsy_needs_a_biopsy(catalogue: Catalogue) -> None:
    assert_rule(
        form(catalogue, "assessment"),
        {"biopsy_type": "none", "referral": "after_surgery"},
        {"referral": "after_biopsy"},
        ("check:referral_after_biopsy_needs_biopsy", "referral", "error"),
    )


def test_fnclcc_grade_only_for_soft_tissue_sarcoma(catalogue: Catalogue) -> None:
    definition = form(catalogue, "assessment")
    soft = make(definition, who_subtype="8890/3", icd10="C49.2", localisation="lower_extremity")
    assert {"fnclcc_grade", "depth"} <= soft.keys()
    assert found(definition, {k: v for k, v in soft.items() if k != "fnclcc_grade"}) == {
        ("required", "fnclcc_grade", "error")
    }
    gist = make(definition, who_subtype=GIST, icd10="C16.2", localisation="intra_abdominal")
    assert "gist_risk" in gist
    assert not {"fnclcc_grade", "depth"} & gist.keys()
    bone = make(definition, **BONE_TUMOUR)
    assert not {"fnclcc_grade", "gist_risk", "depth"} & bone.keys()


def test_size_is_a_decimal_in_cm(catalogue: Catalogue) -> None:
    definition = form(catalogue, "assessment")
    assert definition.field("tumour_size_cm").unit == "cm"
    values = make(definition, tumour_size_cm=5.5)
    assert found(definition, {**values, "tumour_size_cm": 0}) == {
        ("number.below_min", "tumour_size_cm", "error")
    }
    assert found(definition, {**values, "tumour_size_cm": "large"}) == {
        ("decimal.invalid", "tumour_size_cm", "error")
    }


def test_who_subtype_outside_the_list_is_out_of_scope(catalogue: Catalogue) -> None:
    definition = form(catalogue, "assessment")
    values = make(definition)
    # 8140/3 (adenocarcinoma) is an ICD-O-3 morphology code, but not a sarcoma subtype.
    assert found(definition, {**values, "who_subtype": "8140/3"}) == {
        ("code.out_of_scope", "who_subtype", "error")
    }


def test_treating_hospital_is_a_university_hospital(catalogue: Catalogue) -> None:
    definition = form(catalogue, "assessment")
    values = make(definition, treating_hospital="1903")  # Tromsø
    assert validate(definition, values, TODAY) == []
    assert ("code.unknown", "treating_hospital", "error") in found(
        definition,
        {**values, "treating_hospital": "0703"},  # Larvik: not a sarcoma centre
    )


# --- surgery and radiotherapy -------------------------------------------------------------------


def test_unplanned_excision_cannot_follow_neoadjuvant_treatment(catalogue: Catalogue) -> None:
    assert_rule(
        form(catalogue, "surgery"),
        {"neoadjuvant_radiotherapy": "1", "unplanned_excision": "0"},
        {"unplanned_excision": "1"},
        ("check:unplanned_excision_after_neoadjuvant", "unplanned_excision", "error"),
    )


def test_margin_is_r0_r1_r2(catalogue: Catalogue) -> None:
    definition = form(catalogue, "surgery")
    assert {"R0", "R1", "R2"} <= definition.field("margin").allowed_codes()
    values = make(definition, margin="R1")
    assert found(definition, {**values, "margin": "R3"}) == {("choice.invalid", "margin", "error")}


def test_radiotherapy_end_not_before_start(catalogue: Catalogue) -> None:
    assert_rule(
        form(catalogue, "radiotherapy"),
        {"rt_start_date": "2025-03-03", "rt_end_date": "2025-03-03"},
        {"rt_end_date": "2025-03-02"},
        ("check:rt_end_not_before_start", "rt_end_date", "error"),
    )


def test_completion_asked_only_when_the_end_date_is_known(catalogue: Catalogue) -> None:
    definition = form(catalogue, "radiotherapy")
    finished = make(definition, rt_start_date="2025-03-03", rt_end_date="2025-04-11")
    assert "completed_as_planned" in finished
    ongoing = {k: v for k, v in finished.items() if k != "rt_end_date"}
    assert found(definition, ongoing) == set()
    assert "completed_as_planned" not in definition.submitted_values(ongoing)


# --- code lists -----------------------------------------------------------------------------------


def test_who_subtypes_are_a_searchable_icdo3_list(catalogue: Catalogue) -> None:
    subtypes = catalogue.code_list("who_sarcoma_subtypes")
    assert len(subtypes) >= 40
    assert subtypes.get(GIST) is not None
    assert "GIST" in subtypes.get(GIST).label_text("en")
    for code in subtypes.codes():
        assert re.fullmatch(r"[89]\d{3}/[0-3]", code), code
    assert subtypes.source


def test_icd10_sarcoma_covers_bone_and_soft_tissue(catalogue: Catalogue) -> None:
    icd10 = catalogue.code_list("icd10_sarcoma")
    categories = {code.split(".")[0] for code in icd10.codes()}
    assert {"C40", "C41", "C45", "C46", "C47", "C48", "C49"} <= categories
    assert "C49" not in icd10  # only subcodes are chosen
    assert icd10.get("C49.2").label_text("en").startswith("Connective and soft tissue")
    assert icd10.source


@pytest.mark.parametrize("name", ["sarcoma_localisation", "fnclcc_grade"])
def test_small_lists_have_a_source(catalogue: Catalogue, name: str) -> None:
    code_list = catalogue.code_list(name)
    assert code_list.source and len(code_list) >= 4
