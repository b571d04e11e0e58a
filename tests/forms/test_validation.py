"""Each rule of the breast assessment form, with a passing and a failing case."""

from __future__ import annotations

import datetime

import pytest

from desktop_app.forms import FormDefinition, Issue, generate_identity_number, validate

from .conftest import TODAY


def keys(issues: list[Issue]) -> list[tuple[str, str]]:
    return [(issue.path, issue.key) for issue in issues]


def test_complete_message_has_no_issues(breast: FormDefinition, valid: dict) -> None:
    assert validate(breast, valid, TODAY) == []


@pytest.mark.parametrize("empty", [None, "", [], "absent"])
def test_required_field_left_empty(breast: FormDefinition, valid: dict, empty: object) -> None:
    if empty == "absent":
        del valid["patient_name"]
    else:
        valid["patient_name"] = empty
    assert keys(validate(breast, valid, TODAY)) == [("patient_name", "required")]


def test_optional_field_may_stay_empty(breast: FormDefinition, valid: dict) -> None:
    del valid["comment"], valid["ki67_percent"]
    assert validate(breast, valid, TODAY) == []


def test_identity_number_required_unless_flagged(breast: FormDefinition, valid: dict) -> None:
    del valid["patient_id"]
    assert keys(validate(breast, valid, TODAY)) == [("patient_id", "required")]

    valid["patient_no_norwegian_id"] = ["1"]
    # Now the specification is required instead (required_if) ...
    assert keys(validate(breast, valid, TODAY)) == [("patient_id_specification", "required")]
    # ... and with it the message is complete.
    valid["patient_id_specification"] = "Swedish personal number, synthetic"
    assert validate(breast, valid, TODAY) == []


def test_specification_optional_without_flag(breast: FormDefinition, valid: dict) -> None:
    assert not breast.is_required("patient_id_specification", valid)
    assert breast.is_required("patient_id", valid)
    valid["patient_no_norwegian_id"] = ["1"]
    assert breast.is_required("patient_id_specification", valid)
    assert not breast.is_required("patient_id", valid)


def test_her2_ish_only_relevant_for_ihc_2_plus(breast: FormDefinition, valid: dict) -> None:
    assert not breast.is_relevant("her2_ish", valid)
    # Hidden: not required, not checked (even a nonsense value), not submitted.
    valid["her2_ish"] = "nonsense"
    assert validate(breast, valid, TODAY) == []
    assert "her2_ish" not in breast.submitted_values(valid)

    valid["her2_ihc"] = "2+"
    assert breast.is_relevant("her2_ish", valid)
    assert keys(validate(breast, valid, TODAY)) == [("her2_ish", "choice.invalid")]
    del valid["her2_ish"]
    assert keys(validate(breast, valid, TODAY)) == [("her2_ish", "required")]
    valid["her2_ish"] = "amplified"
    assert validate(breast, valid, TODAY) == []
    assert breast.submitted_values(valid)["her2_ish"] == "amplified"


def test_grade_not_asked_for_dcis(breast: FormDefinition, valid: dict) -> None:
    valid.update(histological_type="dcis", icd10="D05.1", clinical_t="Tis")
    del valid["nottingham_grade"]
    assert validate(breast, valid, TODAY) == []
    valid["histological_type"] = "nst"
    # Invasive again: the grade is back and required; the D05 code no longer fits.
    assert keys(validate(breast, valid, TODAY)) == [
        ("nottingham_grade", "required"),
        ("histological_type", "check:d05_not_invasive"),
    ]


def test_private_institution_instead_of_hospital(breast: FormDefinition, valid: dict) -> None:
    valid["region"] = "5"
    assert keys(validate(breast, valid, TODAY)) == [("institution_name", "required")]
    valid["institution_name"] = "Demo privatklinikk"
    assert validate(breast, valid, TODAY) == []
    assert "hospital" not in breast.submitted_values(valid)


def test_hospital_must_belong_to_region(breast: FormDefinition, valid: dict) -> None:
    valid["hospital"] = "1903"  # Tromsø, in Helse Nord
    issues = validate(breast, valid, TODAY)
    assert keys(issues) == [("hospital", "code.filtered_out")]
    assert "regional health authority" in issues[0].message("en")
    valid["region"] = "4"
    assert validate(breast, valid, TODAY) == []


def test_department_other_needs_a_name(breast: FormDefinition, valid: dict) -> None:
    valid["department"] = "other"
    assert keys(validate(breast, valid, TODAY)) == [("department_other", "required")]


@pytest.mark.parametrize("kind", ["birth", "d", "h"])
def test_identity_number_kinds_accepted(breast: FormDefinition, valid: dict, kind: str) -> None:
    import random

    valid["patient_id"] = generate_identity_number(
        random.Random(kind), datetime.date(1975, 12, 31), kind=kind
    )
    assert validate(breast, valid, TODAY) == []


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda n: n[:9] + str((int(n[9]) + 1) % 10) + n[10], "identity_number.invalid"),
        (lambda n: n[:10] + str((int(n[10]) + 1) % 10), "identity_number.invalid"),
        (lambda n: n[:10], "identity_number.length"),
        (lambda n: n[:6] + " " + n[6:], "identity_number.format"),
        (lambda n: "8" + n[1:], "identity_number.fh_number"),
    ],
)
def test_identity_number_rejected(breast: FormDefinition, valid: dict, change, key: str) -> None:
    valid["patient_id"] = change(valid["patient_id"])
    assert keys(validate(breast, valid, TODAY)) == [("patient_id", key)]


def test_identity_number_born_after_today(breast: FormDefinition, valid: dict) -> None:
    import random

    valid["patient_id"] = generate_identity_number(random.Random(1), datetime.date(2025, 6, 2))
    issues = validate(breast, valid, TODAY)
    assert keys(issues) == [("patient_id", "identity_number.in_future")]
    assert issues[0].params == {"birth_date": "2025-06-02"}


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("C18.7", "code.out_of_scope"),
        ("C18", "code.out_of_scope"),
        ("C61", "code.out_of_scope"),
        ("C50", "code.incomplete"),
        ("breast", "code.unknown"),
    ],
)
def test_icd10_outside_scope(breast: FormDefinition, valid: dict, code: str, key: str) -> None:
    valid["icd10"] = code
    issues = validate(breast, valid, TODAY)
    assert keys(issues) == [("icd10", key)]
    assert code in issues[0].message("en")


@pytest.mark.parametrize("code", ["C50.0", "C50.9", "D05.9"])
def test_icd10_in_scope(breast: FormDefinition, valid: dict, code: str) -> None:
    valid["icd10"] = code
    if code.startswith("D05"):
        valid.update(histological_type="other")
    assert validate(breast, valid, TODAY) == []


def test_future_date_rejected_today_accepted(breast: FormDefinition, valid: dict) -> None:
    valid["report_date"] = TODAY.isoformat()
    assert validate(breast, valid, TODAY) == []
    valid["report_date"] = (TODAY + datetime.timedelta(days=1)).isoformat()
    issues = validate(breast, valid, TODAY)
    assert keys(issues) == [("report_date", "date.in_future")]
    assert "2025-06-02" in issues[0].message("en") and "2025-06-01" in issues[0].message("nb")


@pytest.mark.parametrize("text", ["2025-02-30", "02.05.2025", "2025-5-2", 20250502])
def test_malformed_date(breast: FormDefinition, valid: dict, text: object) -> None:
    valid["diagnosis_date"] = text
    # The date-order check does not run on a broken date: one issue, not two.
    assert keys(validate(breast, valid, TODAY)) == [("diagnosis_date", "date.invalid")]


def test_diagnosis_not_after_report(breast: FormDefinition, valid: dict) -> None:
    valid["diagnosis_date"] = valid["report_date"]
    assert validate(breast, valid, TODAY) == []
    valid["diagnosis_date"] = "2025-05-21"
    issues = validate(breast, valid, TODAY)
    assert keys(issues) == [("diagnosis_date", "check:diagnosis_not_after_report")]
    assert issues[0].message("nb").startswith("Diagnosedatoen kan ikke")
    assert issues[0].message("en").startswith("The date of diagnosis cannot")


def test_dcis_needs_d05_code(breast: FormDefinition, valid: dict) -> None:
    valid["histological_type"] = "dcis"
    assert keys(validate(breast, valid, TODAY)) == [("icd10", "check:dcis_needs_d05")]


def test_tis_needs_d05_code(breast: FormDefinition, valid: dict) -> None:
    valid["clinical_t"] = "Tis"
    assert keys(validate(breast, valid, TODAY)) == [("clinical_t", "check:tis_needs_d05")]


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("er_percent", 0, None),
        ("er_percent", 100, None),
        ("er_percent", -1, "number.below_min"),
        ("er_percent", 101, "number.above_max"),
        ("er_percent", 50.5, "integer.invalid"),
        ("er_percent", "50", "integer.invalid"),
        ("er_percent", True, "integer.invalid"),
        ("tumour_size_mm", 12, None),
        ("tumour_size_mm", 300.0, None),
        ("tumour_size_mm", 300.5, "number.above_max"),
        ("tumour_size_mm", -0.1, "number.below_min"),
        ("tumour_size_mm", float("nan"), "decimal.invalid"),
        ("tumour_size_mm", "14,5", "decimal.invalid"),
    ],
)
def test_numbers(breast: FormDefinition, valid: dict, field: str, value, key: str | None) -> None:
    valid[field] = value
    assert keys(validate(breast, valid, TODAY)) == ([(field, key)] if key else [])


def test_limit_message_names_unit(breast: FormDefinition, valid: dict) -> None:
    valid["pr_percent"] = 120
    (issue,) = validate(breast, valid, TODAY)
    assert issue.params["limit"] == "100 %"
    assert issue.message("en") == "The value must be at most 100 %."
    assert issue.message("nb") == "Verdien kan være høyst 100 %."


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("laterality", "up", "choice.invalid"),
        ("mri_done", "2", "choice.invalid"),
        ("mri_done", 1, "choice.invalid"),
        ("patient_no_norwegian_id", ["2"], "choice.invalid"),
        ("patient_no_norwegian_id", "1", "choice.invalid"),
        ("patient_no_norwegian_id", ["1", "1"], "choice.duplicate"),
        ("reporter_hpr", "HPR 12", "text.pattern"),
        ("patient_name", "x" * 201, "text.too_long"),
        ("patient_name", 42, "text.invalid"),
    ],
)
def test_type_checks(breast: FormDefinition, valid: dict, field: str, value, key: str) -> None:
    valid[field] = value
    found = keys(validate(breast, valid, TODAY))
    assert (field, key) in found


def test_unknown_field_reported(breast: FormDefinition, valid: dict) -> None:
    valid["favourite_colour"] = "blue"
    assert keys(validate(breast, valid, TODAY)) == [("favourite_colour", "field.unknown")]


def test_today_defaults_to_the_real_date(breast: FormDefinition, valid: dict) -> None:
    valid["report_date"] = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    assert keys(validate(breast, valid)) == [("report_date", "date.in_future")]


def test_warning_checks_and_dates_allowed_in_future() -> None:
    definition = FormDefinition.from_dict(
        {
            "registry": "demo",
            "form": "tiny",
            "version": 1,
            "title": {"nb": "Liten", "en": "Tiny"},
            "sections": [
                {
                    "id": "s",
                    "title": {"nb": "S", "en": "S"},
                    "fields": [
                        {
                            "id": "next_visit",
                            "type": "date",
                            "not_in_future": False,
                            "label": {"nb": "Neste kontroll", "en": "Next visit"},
                        },
                        {
                            "id": "doses",
                            "type": "integer",
                            "label": {"nb": "Doser", "en": "Doses"},
                        },
                    ],
                }
            ],
            "checks": [
                {
                    "id": "many_doses",
                    "field": "doses",
                    "severity": "warning",
                    "assert": {"field": "doses", "op": "le", "value": 30},
                    "message": {"nb": "Uvanlig mange doser.", "en": "Unusually many doses."},
                }
            ],
        }
    )
    assert validate(definition, {"next_visit": "2999-01-01", "doses": 30}, TODAY) == []
    (issue,) = validate(definition, {"doses": 31}, TODAY)
    assert (issue.key, issue.severity, issue.is_error) == ("check:many_doses", "warning", False)
    assert issue.message("nb") == "Uvanlig mange doser."
