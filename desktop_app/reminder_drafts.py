"""The first answers of a draft made from a reminder (``DraftService.new_draft_for_reminder``).

What the reminder knows goes into the fields of the form it asks for, when the form has them:

* the patient: identity number and name; for a patient without a Norwegian number (the
  registry knows the case by its case id) the envelope's "no Norwegian identity number" answer
  and its specification naming the registry's case id
  (resources/forms/_fragments/envelope.json: ``patient_no_norwegian_id`` is a multiple choice
  with the one option "1"; ``patient_id_specification`` free text, at most 200 characters);
* for a reminder made from a pathology diagnosis (its rule's trigger event), the diagnosis
  date: the reminder's ``event_date`` in the form's ``diagnosis_date``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from desktop_app.forms import FormDefinition
from desktop_app.forms.dates import date_value
from desktop_app.forms.text import fill, localized
from desktop_app.reminder_rules import ReminderRules, shipped_rules

log = logging.getLogger(__name__)

NO_NORWEGIAN_ID_FIELD = "patient_no_norwegian_id"
NO_NORWEGIAN_ID = "1"  # the field's one option: "The patient has no Norwegian ... number"
SPECIFICATION_FIELD = "patient_id_specification"
DIAGNOSIS_DATE_FIELD = "diagnosis_date"
PATHOLOGY_EVENT = "pathology_diagnosis"
# The specification of a patient without a Norwegian number: the registry's own case id.
CASE_SPECIFICATION = {
    "nb": "Kreftregisterets saks-ID: {case_id}",
    "en": "Cancer Registry case ID: {case_id}",
}


def reminder_values(
    reminder: Mapping[str, Any],
    definition: FormDefinition,
    lang: str = "en",
    rules: ReminderRules | None = None,
) -> dict[str, Any]:
    """{field id: first answer} from `reminder` for a draft of `definition` (only fields the
    form has at the top level, only answers its fields can take)."""
    values: dict[str, Any] = {}
    for key in ("patient_id", "patient_name"):
        if reminder.get(key) and _top_level(definition, key):
            values[key] = str(reminder[key]).strip()
    case_id = str(reminder.get("case_id") or "").strip()
    if not reminder.get("patient_id") and case_id:
        values.update(_without_number(definition, case_id, lang))
    event_date = _date(reminder.get("event_date"))
    if (
        event_date
        and _top_level(definition, DIAGNOSIS_DATE_FIELD)
        and definition.field(DIAGNOSIS_DATE_FIELD).type == "date"
        and _trigger_event(reminder, rules) == PATHOLOGY_EVENT
    ):
        values[DIAGNOSIS_DATE_FIELD] = event_date
    return values


def _without_number(definition: FormDefinition, case_id: str, lang: str) -> dict[str, Any]:
    if not _top_level(definition, NO_NORWEGIAN_ID_FIELD):
        return {}
    field = definition.field(NO_NORWEGIAN_ID_FIELD)
    if field.entry(NO_NORWEGIAN_ID) is None:
        return {}
    values: dict[str, Any] = {
        NO_NORWEGIAN_ID_FIELD: [NO_NORWEGIAN_ID]
        if field.type == "multiple_choice"
        else NO_NORWEGIAN_ID
    }
    if _top_level(definition, SPECIFICATION_FIELD):
        specification = fill(localized(CASE_SPECIFICATION, lang), {"case_id": case_id})
        limit = definition.field(SPECIFICATION_FIELD).max_length
        values[SPECIFICATION_FIELD] = specification[:limit] if limit else specification
    return values


def _trigger_event(reminder: Mapping[str, Any], rules: ReminderRules | None) -> str | None:
    """The expected-case event the reminder's rule starts from (None: a message, or a rule
    this version does not know)."""
    rule_id = reminder.get("rule_id")
    if not rule_id:
        return None
    try:
        return (rules or shipped_rules()).rule(str(rule_id)).event
    except KeyError:
        return None
    except Exception:  # the wording file is the program's own; a broken one names no event
        log.exception("The reminder rules cannot be read")
        return None


def _date(value: object) -> str | None:
    day = date_value(value)
    return day.isoformat() if day else None


def _top_level(definition: FormDefinition, field_id: str) -> bool:
    return definition.has_field(field_id) and definition.is_top_level(field_id)
