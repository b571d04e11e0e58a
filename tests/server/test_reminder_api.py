"""GET /reminders and POST /reminders/{id}/answer on the real server: a matching message
resolves a reminder at once; answers are recorded with who, when and why; another unit never
sees, resolves or answers them."""

from __future__ import annotations

import datetime
import logging
import uuid
from pathlib import Path

import httpx
import pytest

from tests.server.helpers import sign_in
from tests.support.live_server import LiveServer

from .reminder_support import (
    case_row,
    import_rows,
    listed,
    message_body,
    patient,
    report_to,
    rule_reminders,
    run_reminders,
    send,
    valid_values,
)

EVENT_DATE = datetime.date(2026, 1, 15)
TODAY = datetime.date(2026, 4, 20)  # past every assessment's remind-after day


def _answer(client: httpx.Client, headers: dict, reminder_id: str, **body: object):
    return client.post(f"/api/v1/reminders/{reminder_id}/answer", json=body, headers=headers)


@pytest.fixture
def reminders(live_server: LiveServer, tmp_path: Path) -> dict[str, str]:
    """Three breast assessment reminders of the demo unit: {patient_id or case_id: id}."""
    report_to(live_server)
    live_server.set_today(TODAY)
    rows = [
        case_row(
            registry="breast",
            event="pathology_diagnosis",
            event_date=EVENT_DATE,
            patient_id=patient(name),
        )
        for name in ("a", "b")
    ]
    rows.append(
        case_row(
            registry="breast",
            event="pathology_diagnosis",
            event_date=EVENT_DATE,
            case_id="KRG-77",
            patient_name="Fiktiv, Uten Nummer",
        )
    )
    assert import_rows(live_server, tmp_path, rows, today=TODAY) == 0
    run_reminders(live_server, TODAY)
    made = rule_reminders(live_server, rule_id="breast.assessment_after_pathology")
    assert len(made) == 3
    return {r.patient_id or r.case_id: r.id for r in made}


def test_a_matching_message_resolves_its_reminder_at_once(
    live_server: LiveServer, client: httpx.Client, reminders: dict[str, str]
) -> None:
    headers = sign_in(client, "demo")
    patient_id = patient("a")
    assert reminders[patient_id] in listed(client, headers)
    values = valid_values("breast", "assessment", today=TODAY, patient_id=patient_id)
    body = message_body("breast", "assessment", values)
    send(client, headers, body)
    assert reminders[patient_id] not in listed(client, headers)
    (resolved,) = rule_reminders(live_server, id=reminders[patient_id])
    assert resolved.resolved_by_message_id == body["message_id"]
    assert reminders[patient("b")] in listed(client, headers)  # another patient's stays


def test_a_patient_without_a_number_is_matched_by_the_reminder_id(
    live_server: LiveServer, client: httpx.Client, reminders: dict[str, str]
) -> None:
    headers = sign_in(client, "demo")
    values = valid_values(
        "breast", "assessment", today=TODAY, patient_id=None, patient_name="Fiktiv, Uten Nummer"
    )
    without_id = message_body("breast", "assessment", values)
    send(client, headers, without_id)  # no number and no reminder id: nothing to match
    assert reminders["KRG-77"] in listed(client, headers)
    body = message_body("breast", "assessment", values, reminder_id=reminders["KRG-77"])
    send(client, headers, body)
    assert reminders["KRG-77"] not in listed(client, headers)
    (resolved,) = rule_reminders(live_server, id=reminders["KRG-77"])
    assert resolved.resolved_by_message_id == body["message_id"]


def test_another_unit_never_sees_resolves_or_answers_them(
    live_server: LiveServer, client: httpx.Client, reminders: dict[str, str]
) -> None:
    bergen = sign_in(client, "bergen")
    assert not set(reminders.values()) & set(listed(client, bergen))
    # Bergen's message for the same patient, and one naming our reminder, resolve nothing.
    patient_id = patient("a")
    values = valid_values("breast", "assessment", today=TODAY, patient_id=patient_id)
    send(client, bergen, message_body("breast", "assessment", values))
    other = valid_values("breast", "assessment", today=TODAY, patient_id=None)
    send(client, bergen, message_body("breast", "assessment", other, reminders["KRG-77"]))
    demo = sign_in(client, "demo")
    assert {reminders[patient_id], reminders["KRG-77"]} <= set(listed(client, demo))
    # Its answer is refused exactly like an answer to a reminder that does not exist.
    theirs = _answer(client, bergen, reminders[patient_id], answer="not_ours", reason="x")
    unknown = _answer(client, bergen, str(uuid.uuid4()), answer="not_ours", reason="x")
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json() == unknown.json()
    (untouched,) = rule_reminders(live_server, id=reminders[patient_id])
    assert (untouched.answer, untouched.resolved_at) == (None, None)


def test_answers_are_recorded_with_who_when_and_why(
    live_server: LiveServer,
    client: httpx.Client,
    reminders: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="registry_server")
    headers = sign_in(client, "demo")
    moved, not_ours = reminders[patient("a")], reminders["KRG-77"]
    reason = "Referred to Haukeland for surgery (fictional patient)."
    first = _answer(client, headers, moved, answer="patient_moved", reason=f"  {reason} ")
    assert first.status_code == 200, first.text
    assert first.json()["id"] == moved and first.json()["answer"] == "patient_moved"
    again = _answer(client, headers, moved, answer="patient_moved", reason="said twice")
    assert again.status_code == 200
    assert again.json()["answered_at"] == first.json()["answered_at"]
    other = _answer(client, headers, moved, answer="not_ours", reason="changed my mind")
    assert other.status_code == 409
    assert "already answered (patient moved)" in other.json()["detail"]
    assert (
        _answer(
            client, headers, not_ours, answer="not_ours", reason="Only the biopsy was taken here."
        ).status_code
        == 200
    )

    (stored,) = rule_reminders(live_server, id=moved)
    assert (stored.answer, stored.answer_reason, stored.answered_by) == (
        "patient_moved",
        reason,
        "demo",
    )
    assert stored.answered_at is not None and stored.resolved_at is None
    assert first.json()["answered_at"] == stored.answered_at.isoformat().replace("+00:00", "Z")
    assert not {moved, not_ours} & set(listed(client, headers))  # answered: no longer open
    # The audit line names the reminder and who answered; never the patient or the reason.
    audit = [r.getMessage() for r in caplog.records if "answered" in r.getMessage()]
    assert any(moved in line and "patient_moved" in line and "demo" in line for line in audit)
    assert patient("a") not in caplog.text and reason not in caplog.text


def test_a_reminder_resolved_by_a_message_cannot_be_answered(
    client: httpx.Client, reminders: dict[str, str]
) -> None:
    headers = sign_in(client, "demo")
    patient_id = patient("b")
    values = valid_values("breast", "assessment", today=TODAY, patient_id=patient_id)
    send(client, headers, message_body("breast", "assessment", values))
    answer = _answer(client, headers, reminders[patient_id], answer="not_ours", reason="x")
    assert answer.status_code == 409
    assert "already resolved" in answer.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"answer": "wrong_patient", "reason": "x"},
        {"answer": "not_ours", "reason": ""},
        {"answer": "not_ours", "reason": "   "},
        {"answer": "not_ours", "reason": "x" * 501},
        {"answer": "not_ours"},
        {"answer": "not_ours", "reason": "x", "patient_id": "01017012345"},
    ],
)
def test_a_bad_answer_is_a_422_with_a_sentence(
    client: httpx.Client, reminders: dict[str, str], body: dict
) -> None:
    headers = sign_in(client, "demo")
    response = _answer(client, headers, reminders[patient("a")], **body)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str)
    assert reminders[patient("a")] in listed(client, headers)


def test_answering_needs_a_sign_in(client: httpx.Client, reminders: dict[str, str]) -> None:
    response = _answer(client, {}, reminders["KRG-77"], answer="not_ours", reason="x")
    assert response.status_code == 401
