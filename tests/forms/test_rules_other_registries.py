"""The assessment forms of the eight registries beyond the four detailed ones: every form gives
valid examples, holds its ICD-10 scope, and each of its rules has a passing and a failing case."""

from __future__ import annotations

import re

import pytest

from desktop_app.forms import Catalogue, FormDefinition, validate
from desktop_app.forms.fragments import default_fragments

from .conftest import TODAY
from .rules_support import assert_examples_validate_clean, found, valid_values

REGISTRIES = (
    "colorectal",
    "prostate",
    "lung",
    "melanoma",
    "gynaecological",
    "bladder",
    "oesophagus_stomach",
    "cns",
)


def form(catalogue: Catalogue, registry: str) -> FormDefinition:
    return catalogue.get(registry, "assessment", 1)


def make(catalogue: Catalogue, registry: str, seed: int = 1, **fixed: object) -> dict[str, object]:
    """Valid answers of the registry's assessment form (no issue at all), `fixed` kept."""
    return valid_values(form(catalogue, registry), seed, **fixed)


# --- every form -------------------------------------------------------------------------------


@pytest.mark.parametrize("registry", REGISTRIES)
@pytest.mark.parametrize("seed", [3, 17, 2025])
def test_example_values_validate_clean(catalogue: Catalogue, registry: str, seed: int) -> None:
    assert_examples_validate_clean(form(catalogue, registry), seed)


@pytest.mark.parametrize("registry", REGISTRIES)
def test_form_shape(catalogue: Catalogue, registry: str) -> None:
    definition = form(catalogue, registry)
    assert definition.pathway_step == "assessment"
    ids = [f.id for f in definition.fields()]
    # The common envelope comes first, then the registry's own fields.
    assert ids[0] == "patient_id"
    for common in ("report_date", "diagnosis_date", "icd10", "basis_of_diagnosis", "ecog"):
        assert common in ids
    assert definition.field("icd10").code_list == f"icd10_{registry}"
    assert catalogue.registry(registry).icd10_scope == f"icd10_{registry}"
    assert "assessment" in catalogue.registry(registry).forms
    assert definition.field("ecog").code_list == "ecog"
    own = ids[ids.index("diagnosis_date") :]
    assert 15 <= len(own) <= 30, f"{registry} has {len(own)} fields beyond the envelope"


TNM_REGISTRIES = [r for r in REGISTRIES if r not in ("gynaecological", "cns")]


@pytest.mark.parametrize("registry", TNM_REGISTRIES)
def test_clinical_tnm_uses_shared_lists(catalogue: Catalogue, registry: str) -> None:
    definition = form(catalogue, registry)
    for axis in "tnm":
        assert definition.field(f"clinical_{axis}").code_list == f"tnm_{axis}"


# --- ICD-10 scope ---------------------------------------------------------------------------------

# (registry, codes at the inside edge of the scope, codes just outside it)
EDGES = [
    ("colorectal", ["C18.0", "C19", "C20"], ["C17.9", "C21.0", "C50.4"]),
    ("prostate", ["C61"], ["C60.9", "C62.9", "C50.4"]),
    ("lung", ["C33", "C34.9"], ["C32.9", "C37", "C50.4"]),
    ("melanoma", ["C43.0", "C69.4"], ["C44.5", "C68.9", "C50.4"]),
    ("gynaecological", ["C48.0", "C53.9", "C56", "C57.9"], ["C47.9", "C54.1", "C55", "C50.4"]),
    ("bladder", ["C65", "C66", "C67.9", "C68.9"], ["C64", "C69.0", "C50.4"]),
    ("oesophagus_stomach", ["C15.0", "C16.9"], ["C14.0", "C17.0", "C50.4"]),
    (
        "cns",
        ["C70.0", "C72.9", "C75.1", "C75.3", "D32.0", "D33.9", "D35.2", "D35.4", "D44.3", "D44.5"],
        ["C69.3", "C75.0", "C75.4", "D35.1", "D35.5", "D44.2", "D44.6", "C50.4"],
    ),
]


@pytest.mark.parametrize(("registry", "inside", "outside"), EDGES)
def test_icd10_scope(catalogue: Catalogue, registry: str, inside: list, outside: list) -> None:
    definition = form(catalogue, registry)
    for code in inside:
        make(catalogue, registry, icd10=code)  # raises if no valid message has this code
    values = make(catalogue, registry)
    for code in outside:
        values["icd10"] = code
        assert ("code.out_of_scope", "icd10", "error") in found(definition, values), code


def _scope_codes(scope: str) -> set[str]:
    """'C18-C20, C75.1-C75.3' -> {'C18', 'C19', 'C20', 'C75.1', 'C75.2', 'C75.3'}."""
    out: set[str] = set()
    for part in (p.strip() for p in scope.split(",")):
        first, _, last = part.partition("-")
        last = last or first
        letter, start, end = first[0], first[1:], last[1:]
        if "." in start:
            base, low = start.split(".")
            out |= {f"{letter}{base}.{n}" for n in range(int(low), int(end.split(".")[1]) + 1)}
        else:
            out |= {f"{letter}{n:02d}" for n in range(int(start), int(end) + 1)}
    return out


@pytest.mark.parametrize("registry", REGISTRIES)
def test_icd10_list_matches_its_scope(catalogue: Catalogue, registry: str) -> None:
    codes = catalogue.code_list(f"icd10_{registry}")
    assert codes.scope and codes.source
    scope = _scope_codes(codes.scope)
    listed = set(codes.codes())
    for code in listed:
        assert code in scope or code[:3] in scope, f"{code} is outside {codes.scope}"
    for unit in scope:
        assert any(c == unit or c.startswith(unit + ".") for c in listed), f"{unit} has no code"
    for entry in codes.entries:
        assert re.fullmatch(codes.pattern or "", entry.code)
        assert entry.label["nb"] and entry.label["en"] != entry.label["nb"]


def test_shared_tnm_lists(catalogue: Catalogue) -> None:
    t = catalogue.code_list("tnm_t").codes()
    assert {"TX", "T0", "Ta", "Tis", "T1", "T1c", "T2a", "T3b", "T4", "T4d"} <= set(t)
    assert set(catalogue.code_list("tnm_n").codes()) >= {"NX", "N0", "N1", "N2c", "N3c"}
    assert catalogue.code_list("tnm_m").codes() == ("M0", "M1", "M1a", "M1b", "M1c")


# --- rules shared by every form ---------------------------------------------------------------


@pytest.mark.parametrize("registry", REGISTRIES)
def test_diagnosis_not_after_report(catalogue: Catalogue, registry: str) -> None:
    definition = form(catalogue, registry)
    values = make(catalogue, registry, report_date="2025-05-20", diagnosis_date="2025-05-20")
    values["diagnosis_date"] = "2025-05-21"
    keys = {(key, path) for key, path, _ in found(definition, values)}
    assert ("check:diagnosis_not_after_report", "diagnosis_date") in keys


METASTASIS_TRIGGER = {r: {"clinical_m": "M1"} for r in TNM_REGISTRIES} | {
    "gynaecological": {"distant_metastasis": "1"},
}


@pytest.mark.parametrize("registry", sorted(METASTASIS_TRIGGER))
def test_metastasis_requires_sites(catalogue: Catalogue, registry: str) -> None:
    definition = form(catalogue, registry)
    trigger = METASTASIS_TRIGGER[registry]
    values = make(catalogue, registry, metastasis_sites=["liver", "bone"], **trigger)
    assert validate(definition, values, TODAY) == []
    del values["metastasis_sites"]
    assert ("required", "metastasis_sites", "error") in found(definition, values)
    # Without metastasis the question is not asked, and an old answer is not sent.
    field, _ = next(iter(trigger.items()))
    values[field] = "M0" if field == "clinical_m" else "0"
    values["metastasis_sites"] = ["liver"]
    assert not definition.is_relevant("metastasis_sites", values)
    assert "metastasis_sites" not in definition.submitted_values(values)


# --- each registry's own checks ----------------------------------------------------------------
# (registry, check id, field the issue goes on, fixed values that pass, the change that fails)

CASES = [
    ("colorectal", "location_matches_icd10", "tumour_location",
     {"icd10": "C20", "tumour_location": "rectum"}, {"tumour_location": "colon"}),
    ("colorectal", "location_matches_icd10", "tumour_location",
     {"icd10": "C18.7", "tumour_location": "colon"}, {"icd10": "C20"}),
    ("colorectal", "rectum_within_15_cm", "distance_anal_verge_cm",
     {"icd10": "C20", "tumour_location": "rectum", "distance_anal_verge_cm": 15.0},
     {"distance_anal_verge_cm": 15.5}),
    ("prostate", "positive_cores_not_above_taken", "cores_positive",
     {"biopsy_route": "transperineal", "cores_taken": 12, "cores_positive": 12},
     {"cores_positive": 13}),
    ("prostate", "grade_group_matches_gleason", "isup_grade_group",
     {"gleason_primary": "3", "gleason_secondary": "3", "isup_grade_group": "1"},
     {"isup_grade_group": "2"}),
    ("prostate", "grade_group_matches_gleason", "isup_grade_group",
     {"gleason_primary": "4", "gleason_secondary": "3", "isup_grade_group": "3"},
     {"gleason_secondary": "4"}),
    ("prostate", "grade_group_matches_gleason", "isup_grade_group",
     {"gleason_primary": "5", "gleason_secondary": "3", "isup_grade_group": "4"},
     {"isup_grade_group": "5"}),
    ("prostate", "grade_group_matches_gleason", "isup_grade_group",
     {"gleason_primary": "4", "gleason_secondary": "5", "isup_grade_group": "5"},
     {"isup_grade_group": "4"}),
    ("prostate", "m1_is_metastatic", "risk_group",
     {"clinical_m": "M1b", "risk_group": "metastatic"}, {"risk_group": "high"}),
    ("lung", "t1_size_at_most_30_mm", "clinical_t",
     {"clinical_t": "T1c", "tumour_size_mm": 30.0}, {"tumour_size_mm": 31.0}),
    ("lung", "over_70_mm_is_t4", "clinical_t",
     {"clinical_t": "T4", "tumour_size_mm": 71.0}, {"clinical_t": "T3"}),
    ("melanoma", "breslow_matches_t", "clinical_t",
     {"icd10": "C43.5", "clinical_t": "T1a", "breslow_mm": 0.6}, {"breslow_mm": 1.1}),
    ("melanoma", "breslow_matches_t", "clinical_t",
     {"icd10": "C43.7", "clinical_t": "T4a", "breslow_mm": 4.5, "ulceration": "0"},
     {"breslow_mm": 4.0}),
    ("melanoma", "t_suffix_matches_ulceration", "clinical_t",
     {"icd10": "C43.6", "clinical_t": "T3b", "breslow_mm": 3.0, "ulceration": "1"},
     {"ulceration": "0"}),
    ("gynaecological", "cervix_iiic_needs_nodes", "figo_cervix",
     {"icd10": "C53.9", "figo_cervix": "IIIC2", "lymph_node_metastasis": "1"},
     {"lymph_node_metastasis": "0"}),
    ("gynaecological", "cervix_ivb_needs_distant_metastasis", "figo_cervix",
     {"icd10": "C53.1", "figo_cervix": "IVB", "distant_metastasis": "1",
      "metastasis_sites": ["lung"]},
     {"distant_metastasis": "99"}),
    ("gynaecological", "ovary_ivb_needs_distant_metastasis", "figo_ovary",
     {"icd10": "C56", "figo_ovary": "IVB", "distant_metastasis": "1",
      "metastasis_sites": ["liver"]},
     {"distant_metastasis": "0"}),
    ("bladder", "tis_needs_cis", "cis_present",
     {"clinical_t": "Tis", "cis_present": "1"}, {"cis_present": "0"}),
    ("bladder", "muscle_invasive_is_high_grade", "who_grade",
     {"histological_type": "urothelial", "clinical_t": "T2b", "who_grade": "high"},
     {"who_grade": "low"}),
    ("oesophagus_stomach", "squamous_not_in_stomach", "histological_type",
     {"icd10": "C16.2", "histological_type": "adenocarcinoma"},
     {"histological_type": "squamous"}),
    ("oesophagus_stomach", "siewert_matches_icd10", "siewert_type",
     {"icd10": "C16.0", "siewert_type": "II"}, {"siewert_type": "I"}),
    ("oesophagus_stomach", "siewert_matches_icd10", "siewert_type",
     {"icd10": "C15.5", "siewert_type": "I"}, {"siewert_type": "III"}),
    ("cns", "glioblastoma_is_grade_4", "who_grade",
     {"icd10": "C71.1", "tumour_type": "glioblastoma", "who_grade": "4",
      "idh_status": "not_detected"},
     {"who_grade": "3"}),
    ("cns", "glioblastoma_is_idh_wildtype", "idh_status",
     {"icd10": "C71.2", "tumour_type": "glioblastoma", "who_grade": "4",
      "idh_status": "not_tested"},
     {"idh_status": "detected"}),
    ("cns", "oligodendroglioma_is_codeleted", "codeletion_1p19q",
     {"icd10": "C71.1", "tumour_type": "oligodendroglioma", "codeletion_1p19q": "detected"},
     {"codeletion_1p19q": "not_detected"}),
    ("cns", "high_grade_needs_malignant_code", "icd10",
     {"icd10": "C70.0", "tumour_type": "meningioma", "who_grade": "3"}, {"icd10": "D32.0"}),
]  # fmt: skip


@pytest.mark.parametrize(("registry", "check_id", "field", "passing", "failing"), CASES)
def test_check_passes_and_fails(
    catalogue: Catalogue, registry: str, check_id: str, field: str, passing: dict, failing: dict
) -> None:
    definition = form(catalogue, registry)
    check = next(c for c in definition.checks if c.id == check_id)
    values = make(catalogue, registry, **passing)
    # The passing case really exercises the check: everything it reads is answered.
    assert set(check.fields()) <= definition.submitted_values(values).keys()
    assert validate(definition, values, TODAY) == []
    values.update(failing)
    issues = [i for i in validate(definition, values, TODAY) if i.key == f"check:{check_id}"]
    assert [(i.path, i.severity) for i in issues] == [(field, check.severity)]
    assert issues[0].message("nb") != issues[0].message("en")


# The envelope's own checks are tested with the envelope; this one each form adds itself.
ENVELOPE_CHECKS = {c["id"] for c in default_fragments()["envelope"]["checks"]} | {
    "diagnosis_not_after_report"
}


def test_every_registry_check_has_a_case(catalogue: Catalogue) -> None:
    covered = {(registry, check_id) for registry, check_id, *_ in CASES}
    for registry in REGISTRIES:
        own = {c.id for c in form(catalogue, registry).checks} - ENVELOPE_CHECKS
        assert own, f"{registry} has no check of its own"
        assert {(registry, c) for c in own} <= covered


def test_a_check_does_not_run_when_its_condition_does_not_apply(catalogue: Catalogue) -> None:
    """cM0 with a non-metastatic risk group is fine; the melanoma Breslow rules skip the eye."""
    make(catalogue, "prostate", clinical_m="M0", risk_group="high")
    definition = form(catalogue, "melanoma")
    values = make(catalogue, "melanoma", icd10="C69.3", clinical_t="T1a", ocular_site="choroid")
    assert not definition.is_relevant("breslow_mm", values)
    values["breslow_mm"] = 9.0  # an answer left from before the code changed: not checked, not sent
    assert validate(definition, values, TODAY) == []
    assert "breslow_mm" not in definition.submitted_values(values)


def test_squamous_in_stomach_is_only_a_warning(catalogue: Catalogue) -> None:
    definition = form(catalogue, "oesophagus_stomach")
    values = make(
        catalogue, "oesophagus_stomach", icd10="C16.3", histological_type="adenocarcinoma"
    )
    values["histological_type"] = "squamous"
    assert {i.severity for i in validate(definition, values, TODAY)} == {"warning"}
    values["icd10"] = "C15.4"  # squamous cell carcinoma of the oesophagus is common
    assert [(i.key, i.path) for i in validate(definition, values, TODAY)] == [
        ("required", "distance_from_incisors_cm")  # asked for oesophageal tumours only
    ]
    values["distance_from_incisors_cm"] = 27.5
    assert validate(definition, values, TODAY) == []
