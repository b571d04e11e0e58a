"""resources/reminder_rules.json: the shipped file loads, covers what the registries ask for,
and a wrong rule is refused at load with the file, key and problem named."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop_app.forms import DefinitionError
from desktop_app.reminder_rules import load_reminder_rules, reminder_rules_path
from tests.server.helpers import catalogue

SHIPPED = json.loads(reminder_rules_path().read_text(encoding="utf-8"))


def test_the_shipped_rules_load_and_cover_the_four_registries() -> None:
    rules = load_reminder_rules(catalogue=catalogue())
    pairs = {(r.registry, r.form, r.event or f"message:{r.message.form}") for r in rules.rules}  # type: ignore[union-attr]
    for registry in ("breast", "lymphoid", "childhood", "sarcoma"):
        assert (registry, "assessment", "pathology_diagnosis") in pairs
    expected = {
        ("breast", "surgery", "surgery_procedure"),
        ("sarcoma", "surgery", "surgery_procedure"),
        ("breast", "follow_up", "message:surgery"),
        ("lymphoid", "response", "message:treatment"),
        ("breast", "surgery", "message:assessment"),
        ("childhood", "treatment", "message:assessment"),
        ("sarcoma", "radiotherapy", "radiotherapy_start"),
        ("lymphoid", "treatment", "drug_therapy_start"),
        ("lymphoid", "treatment", "radiotherapy_start"),
        ("breast", "oncological_treatment", "drug_therapy_start"),
        ("breast", "oncological_treatment", "radiotherapy_start"),
    }
    assert expected <= pairs
    # Surgery planned: soon as primary treatment, months later after neoadjuvant treatment.
    planned = rules.rule("breast.surgery_after_planned")
    after_neoadjuvant = rules.rule("breast.surgery_after_neoadjuvant")
    assert planned.message is not None and after_neoadjuvant.message is not None
    assert planned.message.condition == {
        "all": [
            {"field": "surgery_planned", "op": "eq", "value": "1"},
            {"field": "neoadjuvant_planned", "op": "in", "value": ["0", "99"]},
        ]
    }
    assert after_neoadjuvant.message.condition == {
        "all": [
            {"field": "surgery_planned", "op": "eq", "value": "1"},
            {"field": "neoadjuvant_planned", "op": "eq", "value": "1"},
        ]
    }
    assert after_neoadjuvant.remind_after_days > planned.remind_after_days
    assert rules.rule("lymphoid.response_after_treatment").message.group == "treatment_lines"  # type: ignore[union-attr]
    for rule in rules.rules:
        assert "[check]" in (rule.note or ""), rule.id  # deadlines are assumptions
        assert rule.reason["nb"] != rule.reason["en"]


def test_reasons_are_worded_in_both_languages_from_their_key() -> None:
    rules = load_reminder_rules()
    params = {"event_date": "2026-01-15", "days": 60, "event": "pathology_diagnosis"}
    assert rules.reason_text("no_assessment_after_pathology", params, "en") == (
        "Pathology diagnosis on 2026-01-15, but no assessment message after 60 days."
    )
    assert rules.reason_text("no_assessment_after_pathology", params, "nb") == (
        "Patologisk diagnose 2026-01-15, men ingen utredningsmelding etter 60 dager."
    )
    assert rules.reason_text("a_key_from_a_newer_server", params, "nb") is None


def _broken(change: Callable[[dict], None]) -> dict:
    data = copy.deepcopy(SHIPPED)
    change(data)
    return data


def _first(data: dict, rule_id: str) -> dict:
    return next(r for r in data["rules"] if r["id"] == rule_id)


CASES = {
    "unknown key": (
        lambda d: _first(d, "breast.assessment_after_pathology").update(remind_after=3),
        "rules[0].remind_after: unknown key",
    ),
    "unknown registry": (
        lambda d: _first(d, "breast.assessment_after_pathology").update(registry="brest"),
        "must start with its registry",
    ),
    "unknown registry, matching id": (
        lambda d: _first(d, "breast.assessment_after_pathology").update(
            id="brest.x", registry="brest"
        ),
        "unknown registry 'brest'",
    ),
    "unknown form": (
        lambda d: _first(d, "breast.assessment_after_pathology").update(form="asessment"),
        "the catalogue has no form breast/asessment",
    ),
    "unknown event": (
        lambda d: _first(d, "breast.assessment_after_pathology")["trigger"].update(
            event="pathology"
        ),
        "unknown event 'pathology'",
    ),
    "unknown date field": (
        lambda d: _first(d, "breast.follow_up_after_surgery")["trigger"]["message"].update(
            date_field="operation_date"
        ),
        "has no field 'operation_date'",
    ),
    "not a date field": (
        lambda d: _first(d, "breast.follow_up_after_surgery")["trigger"]["message"].update(
            date_field="patient_name"
        ),
        "not a date",
    ),
    "unknown condition field": (
        lambda d: _first(d, "breast.surgery_after_planned")["trigger"]["message"].update(
            condition={"field": "surgery_planed", "op": "eq", "value": "1"}
        ),
        "names 'surgery_planed'",
    ),
    "unknown condition code": (
        lambda d: _first(d, "breast.surgery_after_planned")["trigger"]["message"].update(
            condition={"field": "surgery_planned", "op": "eq", "value": "yes"}
        ),
        "has no option 'yes'",
    ),
    "missing nb text": (
        lambda d: _first(d, "breast.assessment_after_pathology")["reason"].pop("nb"),
        'needs a non-empty "nb" text',
    ),
    "unknown placeholder": (
        lambda d: [
            r["reason"].update(en="No message since {event_day}.")
            for r in d["rules"]
            if r["reason_key"] == "no_assessment_after_pathology"
        ],
        "unknown placeholder {event_day}",
    ),
    "due before remind": (
        lambda d: _first(d, "breast.assessment_after_pathology").update(due_after_days=10),
        "must be at least remind_after_days",
    ),
    "one key, two texts": (
        lambda d: _first(d, "lymphoid.assessment_after_pathology")["reason"].update(
            en="Something else after {days} days."
        ),
        "differs from another rule's text",
    ),
    "both triggers": (
        lambda d: _first(d, "breast.assessment_after_pathology")["trigger"].update(
            message={"form": "assessment", "date_field": "diagnosis_date"}
        ),
        'needs exactly one of "event" and "message"',
    ),
    "unknown event declared badly": (
        lambda d: d["events"].update({"Bad-Event": {"nb": "x", "en": "x"}}),
        "lower-case letters",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_wrong_rule_is_refused_at_load_naming_the_problem(name: str, tmp_path: Path) -> None:
    change, expected = CASES[name]
    path = tmp_path / "reminder_rules.json"
    path.write_text(json.dumps(_broken(change)), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_reminder_rules(path, catalogue=catalogue())
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_file_that_is_not_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "reminder_rules.json"
    path.write_text('{"rules": [\n  {"id": }\n]}', encoding="utf-8")
    with pytest.raises(DefinitionError, match="line 2"):
        load_reminder_rules(path)
