"""The breast cancer registry's forms after assessment (surgery, oncological treatment, follow-up,
relapse): each gives clean example values, keeps its ICD-10 scope, and each of its rules has a
passing and a failing message."""

from __future__ import annotations

import pytest

from desktop_app.forms import Catalogue, FormDefinition, validate

from .conftest import TODAY
from .rules_support import EveryFormTests, assert_rule, found, make

FORMS = ("surgery", "oncological_treatment", "follow_up", "relapse")


def form(catalogue: Catalogue, name: str) -> FormDefinition:
    return catalogue.get("breast", name, 1)


# --- every form -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FORMS)
class TestEveryForm(EveryFormTests):
    registry = "breast"
    scope_edge = ("C50.4", "C49.1")

    def test_form_shape(self, catalogue: Catalogue, name: str) -> None:
        super().test_form_shape(catalogue, name)
        assert self.form(catalogue, name).is_required("diagnosis_date", {})


# --- treatment, surgery and relapse dates are not before the diagnosis ------------------------

DATE_RULES = [
    ("surgery", "surgery_date", {}),
    ("oncological_treatment", "chemotherapy_start_date", {"chemotherapy": "1"}),
    ("oncological_treatment", "her2_start_date", {"her2_therapy": "1"}),
    ("oncological_treatment", "endocrine_start_date", {"endocrine_therapy": "1"}),
    ("follow_up", "follow_up_date", {}),
    ("follow_up", "death_date", {"vital_status": "dead", "follow_up_date": "2025-05-01"}),
    ("relapse", "relapse_date", {}),
]


@pytest.mark.parametrize(("name", "date_field", "context"), DATE_RULES)
def test_date_not_before_diagnosis(
    catalogue: Catalogue, name: str, date_field: str, context: dict[str, object]
) -> None:
    assert_rule(
        form(catalogue, name),
        {**context, date_field: "2025-01-15"},  # the same day as the diagnosis is fine
        {date_field: "2025-01-14"},
        (f"check:{date_field}_not_before_diagnosis", date_field, "error"),
    )


RT_ROW = {
    "rt_target": "breast",
    "rt_dose_gy": 40.05,
    "rt_fractions": 15,
    "rt_start_date": "2025-03-03",
    "rt_end_date": "2025-03-21",
}


def test_radiotherapy_series_start_not_before_diagnosis(catalogue: Catalogue) -> None:
    second = {**RT_ROW, "rt_target": "boost", "rt_dose_gy": 16.0, "rt_fractions": 8}
    bad = {**second, "rt_start_date": "2025-01-14", "rt_end_date": "2025-01-20"}
    assert_rule(
        form(catalogue, "oncological_treatment"),
        {"radiotherapy": "1", "radiotherapy_series": [RT_ROW, second]},
        {"radiotherapy_series": [RT_ROW, bad]},
        (
            "check:rt_start_date_not_before_diagnosis",
            "radiotherapy_series[1].rt_start_date",
            "error",
        ),
    )


def test_radiotherapy_series_end_not_before_start(catalogue: Catalogue) -> None:
    assert_rule(
        form(catalogue, "oncological_treatment"),
        {"radiotherapy": "1", "radiotherapy_series": [{**RT_ROW, "rt_end_date": "2025-03-03"}]},
        {"radiotherapy_series": [{**RT_ROW, "rt_end_date": "2025-03-02"}]},
        ("check:rt_end_not_before_start", "radiotherapy_series[0].rt_end_date", "error"),
    )


def test_radiotherapy_given_needs_a_series(catalogue: Catalogue) -> None:
    definition = form(catalogue, "oncological_treatment")
    values = make(definition, radiotherapy="1", radiotherapy_series=[RT_ROW])
    assert found(definition, {**values, "radiotherapy_series": []}) == {
        ("repeat.min_rows", "radiotherapy_series", "error")
    }
    # Without radiotherapy the series are hidden and not sent.
    no_rt = {**values, "radiotherapy": "0"}
    assert found(definition, no_rt) == set()
    assert "radiotherapy_series" not in definition.submitted_values(no_rt)


def test_radiotherapy_dose_and_fractions_are_checked_per_row(catalogue: Catalogue) -> None:
    definition = form(catalogue, "oncological_treatment")
    values = make(definition, radiotherapy="1", radiotherapy_series=[RT_ROW])
    row = {**RT_ROW, "rt_dose_gy": 0.5, "rt_fractions": 2.5}
    assert found(definition, {**values, "radiotherapy_series": [row]}) == {
        ("number.below_min", "radiotherapy_series[0].rt_dose_gy", "error"),
        ("integer.invalid", "radiotherapy_series[0].rt_fractions", "error"),
    }


def test_some_treatment_given_warns_when_none(catalogue: Catalogue) -> None:
    none_given = {
        "chemotherapy": "0",
        "her2_therapy": "0",
        "endocrine_therapy": "99",
        "radiotherapy": "0",
    }
    assert_rule(
        form(catalogue, "oncological_treatment"),
        {**none_given, "endocrine_therapy": "1"},
        none_given,
        ("check:some_treatment_given", "chemotherapy", "warning"),
    )


# --- surgery ----------------------------------------------------------------------------------

AXILLA = {"axilla_surgery": "sentinel", "pathological_n": "N1a"}


def test_positive_nodes_not_above_removed(catalogue: Catalogue) -> None:
    assert_rule(
        form(catalogue, "surgery"),
        {**AXILLA, "nodes_removed": 3, "nodes_positive": 3},
        {"nodes_positive": 4},
        ("check:nodes_positive_not_above_removed", "nodes_positive", "error"),
    )


def test_pn0_warns_with_positive_nodes(catalogue: Catalogue) -> None:
    assert_rule(
        form(catalogue, "surgery"),
        {**AXILLA, "pathological_n": "N0", "nodes_removed": 3, "nodes_positive": 0},
        {"nodes_positive": 1},
        ("check:pn0_without_positive_nodes", "pathological_n", "warning"),
    )


def test_no_axillary_surgery_hides_the_node_counts(catalogue: Catalogue) -> None:
    definition = form(catalogue, "surgery")
    values = make(definition, axilla_surgery="none", pathological_n="NX")
    assert "nodes_removed" not in values and "nodes_positive" not in values
    with_nodes = make(definition, **AXILLA)
    assert found(definition, {k: v for k, v in with_nodes.items() if k != "nodes_removed"}) == {
        ("required", "nodes_removed", "error")
    }


@pytest.mark.parametrize(
    ("pt", "fits", "does_not_fit"),
    [
        ("T1mi", 1.0, 1.1),
        ("T1a", 5.0, 1.0),
        ("T1c", 20.0, 20.5),
        ("T2", 50.0, 18.0),
        ("T3", 51, 50),
    ],
)
def test_tumour_size_fits_pt(
    catalogue: Catalogue, pt: str, fits: float, does_not_fit: float
) -> None:
    assert_rule(
        form(catalogue, "surgery"),
        {"pathological_t": pt, "tumour_size_mm": fits, "icd10": "C50.4"},
        {"tumour_size_mm": does_not_fit},
        ("check:pt_fits_tumour_size", "tumour_size_mm", "warning"),
    )


def test_ptis_needs_a_d05_code(catalogue: Catalogue) -> None:
    assert_rule(
        form(catalogue, "surgery"),
        {"pathological_t": "Tis", "icd10": "D05.1"},
        {"icd10": "C50.4"},
        ("check:ptis_needs_d05", "pathological_t", "error"),
    )


def test_d05_does_not_fit_an_invasive_pt(catalogue: Catalogue) -> None:
    assert_rule(
        form(catalogue, "surgery"),
        {"pathological_t": "Tis", "icd10": "D05.1", "tumour_size_mm": 30.0},
        {"pathological_t": "T2"},
        ("check:d05_not_invasive_pt", "pathological_t", "error"),
    )


def test_reconstruction_asked_only_after_mastectomy(catalogue: Catalogue) -> None:
    definition = form(catalogue, "surgery")
    mastectomy = make(definition, breast_surgery="mastectomy")
    assert "immediate_reconstruction" in mastectomy
    conserving = make(definition, breast_surgery="breast_conserving")
    assert "immediate_reconstruction" not in conserving
    assert "margins" in conserving


# --- follow-up and relapse ------------------------------------------------------------------------


def test_death_not_after_follow_up(catalogue: Catalogue) -> None:
    assert_rule(
        form(catalogue, "follow_up"),
        {"vital_status": "dead", "death_date": "2025-04-30", "follow_up_date": "2025-04-30"},
        {"death_date": "2025-05-01"},
        ("check:death_not_after_follow_up", "death_date", "error"),
    )


def test_dead_patient_has_no_disease_status(catalogue: Catalogue) -> None:
    definition = form(catalogue, "follow_up")
    dead = make(definition, vital_status="dead")
    assert {"death_date", "cause_of_death"} <= dead.keys()
    assert not {"disease_status", "ecog", "endocrine_status"} & dead.keys()


def test_distant_relapse_needs_its_sites(catalogue: Catalogue) -> None:
    definition = form(catalogue, "relapse")
    distant = make(definition, relapse_type=["regional", "distant"], distant_sites=["bone"])
    assert validate(definition, distant, TODAY) == []
    assert found(definition, {**distant, "distant_sites": []}) == {
        ("required", "distant_sites", "error")
    }
    local = make(definition, relapse_type=["local"])
    assert "distant_sites" not in local
