"""Reminders end to end with the real client: the server computes them, the client's sync
fetches them into its cache, a draft made from one resolves it (also for a patient without a
Norwegian number, through the reminder id), and answers given offline reach the registry."""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop_app.app import Services, build_services
from desktop_app.reminder_answers import record_answer
from desktop_app.sign_in import sign_in
from desktop_app.user_session import UserSession
from local_cache import MessageState
from tests.server.reminder_support import (
    case_row,
    import_rows,
    patient,
    report_to,
    rule_reminders,
    run_reminders,
    valid_values,
)
from tests.support.client_settings import settings_for_tests
from tests.support.live_server import LiveServer

EVENT_DATE = datetime.date(2026, 1, 15)
TODAY = datetime.date(2026, 4, 20)
OWNER = "demo"


def wait_for(condition: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for {getattr(condition, '__name__', condition)}")
        time.sleep(0.02)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(tmp_path / "server", today=TODAY) as live:
        report_to(live)
        rows = [
            case_row(
                registry="breast",
                event="pathology_diagnosis",
                event_date=EVENT_DATE,
                patient_id=patient("sync a"),
            ),
            case_row(
                registry="lymphoid",
                event="pathology_diagnosis",
                event_date=EVENT_DATE,
                case_id="KRG-2026-9",
                patient_name="Fiktiv, Uten Nummer",
            ),
        ]
        assert import_rows(live, tmp_path, rows, today=TODAY) == 0
        run_reminders(live, TODAY)
        yield live


@pytest.fixture
def services(server: LiveServer, tmp_path: Path) -> Iterator[Services]:
    settings = settings_for_tests(
        server, tmp_path / "client", retry_interval_s=0.2, sync_interval_s=60.0
    )
    built = build_services(settings)
    yield built
    built.shutdown()


@pytest.fixture
def user(services: Services) -> Iterator[UserSession]:
    """The clinician, signed in through the real path (server, then this computer's keys)."""
    signed_in = sign_in(services, OWNER, "demo")
    assert isinstance(signed_in, UserSession)
    yield signed_in
    signed_in.end()


def _cached(user: UserSession) -> dict[str, dict]:
    return {r["id"]: r for r in user.cache.reminders.list(OWNER)[0]}


def _reminder_id(server: LiveServer, **where: str) -> str:
    (reminder,) = rule_reminders(server, **where)
    return reminder.id


def test_a_draft_from_a_reminder_for_a_patient_without_a_number_resolves_it(
    server: LiveServer, services: Services, user: UserSession
) -> None:
    reminder_id = _reminder_id(server, case_id="KRG-2026-9")
    session = user.session
    user.start_sync()
    wait_for(lambda: reminder_id in _cached(user))
    reminder = _cached(user)[reminder_id]
    assert (reminder["patient_id"], reminder["case_id"]) == (None, "KRG-2026-9")
    assert reminder["reason_key"] == "no_assessment_after_pathology"

    record = user.drafts.new_draft(
        reminder["registry"],
        reminder["form"],
        {"patient_name": reminder["patient_name"]},
        session=session,
        reminder_id=reminder_id,
    )
    values = valid_values(
        "lymphoid",
        "assessment",
        today=TODAY,
        patient_id=None,
        patient_name=reminder["patient_name"],
    )
    issues = user.drafts.submit(record.id, values)
    assert not [i for i in issues if i.severity == "error"], issues
    assert user.cache.messages.get(record.id).body["reminder_id"] == reminder_id
    user.send_now()

    wait_for(lambda: user.cache.messages.get(record.id).state == MessageState.RECEIPTED)
    (resolved,) = rule_reminders(server, id=reminder_id)
    assert resolved.resolved_by_message_id == record.id
    token = session.token()
    assert token is not None
    assert reminder_id not in {r["id"] for r in services.api.reminders(token)[0]}
    wait_for(lambda: reminder_id not in _cached(user))  # the same pass fetched the list


def test_an_answer_given_offline_is_sent_by_the_next_sync(
    server: LiveServer, services: Services, user: UserSession
) -> None:
    reminder_id = _reminder_id(server, patient_id=patient("sync a"))
    engine = user.start_sync()
    wait_for(lambda: reminder_id in _cached(user))

    server.stop()
    reason = "The patient moved to Bergen before treatment (fictional)."
    record_answer(user.cache, OWNER, reminder_id, "patient_moved", reason)
    assert reminder_id in user.cache.reminder_answers.answered_ids(OWNER)
    user.send_now()
    wait_for(lambda: engine.online is False)
    (waiting,) = user.cache.reminder_answers.unsent(OWNER)
    assert (waiting.reminder_id, waiting.reason, waiting.sent_at) == (reminder_id, reason, None)
    assert rule_reminders(server, id=reminder_id)[0].answer is None

    server.start()
    user.send_now()
    wait_for(lambda: not user.cache.reminder_answers.unsent(OWNER))
    (stored,) = rule_reminders(server, id=reminder_id)
    assert (stored.answer, stored.answer_reason, stored.answered_by) == (
        "patient_moved",
        reason,
        OWNER,
    )
    wait_for(lambda: reminder_id not in _cached(user))
    assert user.cache.reminder_answers.refused(OWNER) == []


def test_an_answer_the_registry_refuses_is_kept_with_why_and_not_sent_again(
    server: LiveServer, services: Services, user: UserSession
) -> None:
    unknown = str(uuid.uuid4())
    record_answer(user.cache, OWNER, unknown, "not_ours", "Never treated here.")
    engine = user.start_sync()
    wait_for(lambda: user.cache.reminder_answers.refused(OWNER))
    (refused,) = user.cache.reminder_answers.refused(OWNER)
    assert refused.reminder_id == unknown and refused.attempts == 1
    assert "no such reminder for your unit" in (refused.last_error or "")
    assert unknown not in user.cache.reminder_answers.answered_ids(OWNER)
    wait_for(lambda: engine.status.last_success_at is not None)
    passes = engine.status.last_success_at
    user.send_now()
    wait_for(lambda: engine.status.last_success_at != passes)
    assert user.cache.reminder_answers.refused(OWNER)[0].attempts == 1
    assert user.cache.reminder_answers.unsent(OWNER) == []
