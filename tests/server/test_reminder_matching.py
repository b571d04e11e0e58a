"""What answers a reminder: a message from the same unit for the same registry, form and
patient, received (the registry's local date) on or after the trigger's clinical date - not
the order messages were stored in. And a message committed after a run read the messages is
matched by the next run."""

from __future__ import annotations

import datetime
from pathlib import Path

import httpx
from sqlalchemy import update

from registry_server.local_time import REGISTRY_TIME_ZONE as OSLO
from registry_server.models import Message, Reminder, utcnow
from tests.server.helpers import sign_in
from tests.support.live_server import LiveServer

from .reminder_support import (
    RULES,
    case_row,
    import_rows,
    message_body,
    patient,
    report_to,
    rule_reminders,
    run_reminders,
    send,
    trigger_date,
    valid_values,
)

EVENT_DATE = datetime.date(2026, 1, 15)
SENT_ON = datetime.date(2026, 3, 1)  # the server's date when messages are sent
DAY = datetime.timedelta(days=1)


def _received_on(server: LiveServer, message_id: str, day: datetime.date) -> None:
    """Move a stored message's receipt time to noon (Oslo) on `day`, as if it came then."""
    moment = datetime.datetime.combine(day, datetime.time(12), OSLO)
    with server.session_factory.begin() as session:
        session.execute(
            update(Message).where(Message.message_id == message_id).values(received_at=moment)
        )


def test_a_follow_up_counts_only_when_received_on_or_after_the_surgery_date(
    live_server: LiveServer, client: httpx.Client
) -> None:
    rule = RULES.rule("breast.follow_up_after_surgery")
    live_server.set_today(SENT_ON)
    headers = sign_in(client, "demo")
    before, after = patient("follow-up before"), patient("follow-up after")
    dates = []
    for patient_id in (before, after):
        surgery = valid_values("breast", "surgery", today=SENT_ON, patient_id=patient_id)
        surgery_date = trigger_date(rule, surgery)
        if patient_id == before:  # a follow-up of an earlier cancer, received years before
            old = valid_values("breast", "follow_up", today=SENT_ON, patient_id=patient_id)
            old_body = message_body("breast", "follow_up", old)
            send(client, headers, old_body)
            _received_on(live_server, old_body["message_id"], surgery_date - 3 * 365 * DAY)
        send(client, headers, message_body("breast", "surgery", surgery))
        dates.append(surgery_date)
        if patient_id == after:
            new = valid_values("breast", "follow_up", today=SENT_ON, patient_id=patient_id)
            send(client, headers, message_body("breast", "follow_up", new))
    run_reminders(live_server, max(dates) + datetime.timedelta(days=rule.remind_after_days))
    assert [r.rule_id for r in rule_reminders(live_server, patient_id=before)] == [rule.id]
    assert rule_reminders(live_server, patient_id=after) == []


def test_an_owed_message_received_before_the_trigger_message_answers_it(
    live_server: LiveServer, client: httpx.Client
) -> None:
    """The surgery message came first, the assessment that planned the surgery later (late
    reporting): the surgery was received after the diagnosis date, so no reminder."""
    rule = RULES.rule("breast.surgery_after_planned")
    live_server.set_today(SENT_ON)
    headers = sign_in(client, "demo")
    patient_id = patient("surgery first")
    assessment = valid_values(
        "breast",
        "assessment",
        today=SENT_ON,
        patient_id=patient_id,
        surgery_planned="1",
        neoadjuvant_planned="0",
    )
    diagnosed = trigger_date(rule, assessment)
    assert diagnosed <= SENT_ON
    surgery = valid_values("breast", "surgery", today=SENT_ON, patient_id=patient_id)
    send(client, headers, message_body("breast", "surgery", surgery))  # a lower row id
    send(client, headers, message_body("breast", "assessment", assessment))
    summary = run_reminders(live_server, diagnosed + datetime.timedelta(days=90))
    assert rule_reminders(live_server, patient_id=patient_id, rule_id=rule.id) == []
    assert summary["message_found"] >= 1


def test_a_message_from_long_before_the_event_does_not_answer_it(
    live_server: LiveServer, client: httpx.Client, tmp_path: Path
) -> None:
    """An assessment of an earlier cancer, years before this pathology diagnosis, is not the
    assessment this diagnosis calls for: a reminder is made. One received on the event's day
    answers it."""
    report_to(live_server)
    live_server.set_today(SENT_ON)
    rule = RULES.rule("breast.assessment_after_pathology")
    headers = sign_in(client, "demo")
    old_cancer, same_day = patient("second primary"), patient("same day")
    for patient_id, received in (
        (old_cancer, EVENT_DATE - 5 * 365 * DAY),
        (same_day, EVENT_DATE),
    ):
        values = valid_values("breast", "assessment", today=SENT_ON, patient_id=patient_id)
        body = message_body("breast", "assessment", values)
        send(client, headers, body)
        _received_on(live_server, body["message_id"], received)
    rows = [
        case_row(
            registry="breast", event="pathology_diagnosis", event_date=EVENT_DATE, patient_id=p
        )
        for p in (old_cancer, same_day)
    ]
    assert import_rows(live_server, tmp_path, rows, today=SENT_ON) == 0
    run_reminders(live_server, EVENT_DATE + datetime.timedelta(days=rule.remind_after_days))
    assert [r.rule_id for r in rule_reminders(live_server, patient_id=old_cancer)] == [rule.id]
    assert rule_reminders(live_server, patient_id=same_day) == []


def test_a_message_committed_after_the_job_read_is_matched_by_the_next_run(
    live_server: LiveServer, client: httpx.Client, tmp_path: Path
) -> None:
    """A message stamped before a run started but committed after the run read the messages:
    the run made a reminder the message answers, and the message's own resolution ran before
    the reminder existed. The next run resolves it (it looks back a day)."""
    report_to(live_server)
    patient_id = patient("late commit")
    row = case_row(
        registry="breast",
        event="pathology_diagnosis",
        event_date=EVENT_DATE,
        patient_id=patient_id,
    )
    assert import_rows(live_server, tmp_path, [row], today=SENT_ON) == 0
    run_on = EVENT_DATE + datetime.timedelta(days=90)
    run_reminders(live_server, run_on)
    (reminder,) = rule_reminders(live_server, patient_id=patient_id)
    live_server.set_today(SENT_ON)
    values = valid_values("breast", "assessment", today=SENT_ON, patient_id=patient_id)
    body = message_body("breast", "assessment", values)
    send(client, sign_in(client, "demo"), body)
    # The database as that race leaves it: the message stamped an hour before the run, the
    # reminder open (its resolution found nothing to resolve then).
    with live_server.session_factory.begin() as session:
        session.execute(
            update(Message)
            .where(Message.message_id == body["message_id"])
            .values(received_at=utcnow() - datetime.timedelta(hours=1))
        )
        session.execute(
            update(Reminder)
            .where(Reminder.id == reminder.id)
            .values(resolved_at=None, resolved_by_message_id=None)
        )

    summary = run_reminders(live_server, run_on)
    (resolved,) = rule_reminders(live_server, patient_id=patient_id)
    assert resolved.id == reminder.id
    assert resolved.resolved_by_message_id == body["message_id"]
    assert summary["resolved_during_run"] == 1


def test_one_owed_message_gets_one_reminder_whichever_rules_owe_it(
    live_server: LiveServer, client: httpx.Client, tmp_path: Path
) -> None:
    """The hospital reported the operation (a procedure code) and the unit's assessment
    planned it: both rules owe the same surgery message, the unit gets one reminder."""
    report_to(live_server)
    live_server.set_today(SENT_ON)
    both, only_planned = patient("owed twice"), patient("owed once")
    headers = sign_in(client, "demo")
    for patient_id in (both, only_planned):
        values = valid_values(
            "breast",
            "assessment",
            today=SENT_ON,
            patient_id=patient_id,
            surgery_planned="1",
            neoadjuvant_planned="0",
        )
        send(client, headers, message_body("breast", "assessment", values))
    rows = [case_row(registry="breast", event="surgery_procedure", event_date=EVENT_DATE,
                     patient_id=both)]  # fmt: skip
    assert import_rows(live_server, tmp_path, rows, today=SENT_ON) == 0

    summary = run_reminders(live_server, SENT_ON + datetime.timedelta(days=400))

    for patient_id in (both, only_planned):
        made = rule_reminders(live_server, patient_id=patient_id, form="surgery")
        assert len(made) == 1, [r.rule_id for r in made]
    assert summary["already_owed"] >= 1
