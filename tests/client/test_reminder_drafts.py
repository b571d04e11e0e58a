"""A draft made from a reminder starts with what the reminder knows, in the form's own fields
and as answers the form accepts: the patient; for a patient without a Norwegian number the "no
Norwegian number" answer with the registry's case id; the diagnosis date of a reminder made
from a pathology diagnosis (and only of those). Real catalogue, rules and cache."""

from __future__ import annotations

import random
import uuid

import pytest

from desktop_app.drafts import DraftService
from desktop_app.forms import Catalogue
from desktop_app.forms.identity import generate_identity_number
from desktop_app.reminder_drafts import reminder_values
from desktop_app.reminder_rules import shipped_rules

OWNER = "demo"
PATIENT_FIELDS = ("patient_id", "patient_no_norwegian_id", "patient_id_specification")


def _reminder(rule_id: str, **fields: object) -> dict:
    """A reminder as GET /reminders gives it, for the shipped rule `rule_id`."""
    rule = shipped_rules().rule(rule_id)
    return {
        "id": str(uuid.uuid4()),
        "registry": rule.registry,
        "form": rule.form,
        "patient_id": None,
        "case_id": None,
        "patient_name": "Fiktiv, Uten Nummer",
        "reason_key": rule.reason_key,
        "rule_id": rule.id,
        "event_date": "2026-01-15",
        "due_date": "2026-04-15",
        **fields,
    }


def _issues(drafts: DraftService, record_id: str, fields: tuple[str, ...]) -> list:
    record = drafts.cache.messages.get(record_id)
    issues = drafts.validate(record_id, record.values)
    return [i for i in issues if i.path.split("[")[0].split(".")[0] in fields]


@pytest.mark.parametrize("registry", ["breast", "lymphoid", "childhood", "sarcoma"])
def test_a_patient_without_a_number_gets_the_no_number_answer_with_the_case_id(
    drafts: DraftService, registry: str
) -> None:
    reminder = _reminder(f"{registry}.assessment_after_pathology", case_id="KRG-2026-9")

    record = drafts.new_draft_for_reminder(reminder)

    assert record.reminder_id == reminder["id"]
    values = record.values
    assert values["patient_no_norwegian_id"] == ["1"]
    assert values["patient_id_specification"] == "Cancer Registry case ID: KRG-2026-9"
    assert "patient_id" not in values
    assert values["patient_name"] == "Fiktiv, Uten Nummer"
    # From a pathology diagnosis: its date is the assessment's diagnosis date.
    assert values["diagnosis_date"] == "2026-01-15"
    assert _issues(drafts, record.id, (*PATIENT_FIELDS, "patient_name", "diagnosis_date")) == []


def test_in_norwegian_the_specification_is_in_norwegian(drafts: DraftService) -> None:
    reminder = _reminder("sarcoma.surgery_after_procedure", case_id="KRG-2026-31")
    record = drafts.new_draft_for_reminder(reminder, lang="nb")
    assert record.values["patient_id_specification"] == "Kreftregisterets saks-ID: KRG-2026-31"
    # A surgery procedure's date is not the diagnosis date: left for the user.
    assert "diagnosis_date" not in record.values
    assert _issues(drafts, record.id, PATIENT_FIELDS) == []


def test_a_patient_with_a_number_gets_the_number_and_no_specification(
    drafts: DraftService,
) -> None:
    patient = generate_identity_number(random.Random(4))
    reminder = _reminder(
        "breast.assessment_after_pathology", patient_id=patient, patient_name="Fiktiv, Kari"
    )
    record = drafts.new_draft_for_reminder(reminder)
    values = record.values
    assert (values["patient_id"], values["patient_name"]) == (patient, "Fiktiv, Kari")
    assert "patient_no_norwegian_id" not in values and "patient_id_specification" not in values
    assert values["diagnosis_date"] == "2026-01-15"
    assert _issues(drafts, record.id, (*PATIENT_FIELDS, "diagnosis_date")) == []


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"rule_id": "breast.follow_up_after_surgery"}, None),  # from a message, not an event
        ({"rule_id": "breast.no_such_rule"}, None),  # a rule this version does not know
        ({"rule_id": None}, None),  # a reminder added by hand
        ({"event_date": "15.01.2026"}, None),  # not a date
        ({"event_date": None}, None),
        ({}, "2026-01-15"),
    ],
)
def test_the_diagnosis_date_only_from_a_pathology_diagnosis(
    catalogue: Catalogue, fields: dict, expected: str | None
) -> None:
    reminder = {**_reminder("breast.assessment_after_pathology", case_id="K-1"), **fields}
    definition = catalogue.latest("breast", "assessment")
    assert reminder_values(reminder, definition).get("diagnosis_date") == expected
