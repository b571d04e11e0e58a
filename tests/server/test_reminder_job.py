"""Each reminder rule on the real server: notifications imported (or trigger messages sent
through the API), the job run for the day before the remind-after deadline (nothing) and for
the deadline (one reminder, with its due date), and GET /reminders on both sides of the due
date (overdue or not)."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path

import httpx
import pytest

from desktop_app.reminder_rules import Rule
from tests.server.helpers import sign_in
from tests.support.live_server import LiveServer

from .reminder_support import (
    DEMO_HOSPITAL,
    RULES,
    born_for,
    case_row,
    import_rows,
    listed,
    message_body,
    patient,
    report_to,
    rule_reminders,
    run_reminders,
    satisfying,
    send,
    trigger_date,
    valid_values,
)

EVENT_DATE = datetime.date(2026, 1, 15)
SENT_ON = datetime.date(2026, 3, 1)  # the server's date when trigger messages are sent
DAY = datetime.timedelta(days=1)


def _check_due_and_overdue(
    server: LiveServer, client: httpx.Client, headers: dict, reminder_id: str, due: datetime.date
) -> None:
    server.set_today(due)
    on_due_day = listed(client, headers)[reminder_id]
    assert on_due_day["due_date"] == due.isoformat()
    assert on_due_day["overdue"] is False
    server.set_today(due + DAY)
    assert listed(client, headers)[reminder_id]["overdue"] is True


@pytest.mark.parametrize("rule", RULES.event_rules(), ids=lambda rule: rule.id)
def test_a_notification_leads_to_the_rules_reminder_on_its_day(
    rule: Rule, live_server: LiveServer, client: httpx.Client, tmp_path: Path
) -> None:
    report_to(live_server)
    patient_id = patient(rule.id, registry=rule.registry)
    row = case_row(
        registry=rule.registry,
        event=rule.event or "",
        event_date=EVENT_DATE,
        patient_id=patient_id,
        patient_name="Fiktiv, Regelpasient",
    )
    assert import_rows(live_server, tmp_path, [row], today=EVENT_DATE) == 0
    remind_on = EVENT_DATE + datetime.timedelta(days=rule.remind_after_days)

    run_reminders(live_server, remind_on - DAY)
    assert rule_reminders(live_server, patient_id=patient_id) == []

    summary = run_reminders(live_server, remind_on)
    made = rule_reminders(live_server, patient_id=patient_id)
    assert [r.rule_id for r in made] == [rule.id]
    assert summary["by_rule"] == {rule.id: 1}
    reminder = made[0]
    due = EVENT_DATE + datetime.timedelta(days=rule.due_after_days)
    assert (reminder.registry_code, reminder.form) == (rule.registry, rule.form)
    assert (reminder.event_date, reminder.due_date) == (EVENT_DATE, due)
    assert reminder.patient_name == "Fiktiv, Regelpasient"
    assert reminder.case_id is None
    assert reminder.reason_key == rule.reason_key
    assert reminder.reason == rule.reason_text(
        {"event_date": EVENT_DATE.isoformat(), "days": rule.remind_after_days}, "en"
    )

    headers = sign_in(client, "demo")
    _check_due_and_overdue(live_server, client, headers, reminder.id, due)
    shown = listed(client, headers)[reminder.id]
    assert shown["patient_id"] == patient_id
    assert shown["rule_id"] == rule.id
    assert shown["reason_params"]["event_date"] == EVENT_DATE.isoformat()
    assert shown["reason_params"]["event"] == rule.event

    # Later runs add nothing: one reminder per rule, case and unit.
    assert run_reminders(live_server, due + DAY)["created"] == 0
    assert len(rule_reminders(live_server, patient_id=patient_id)) == 1


@pytest.mark.parametrize("rule", RULES.message_rules(), ids=lambda rule: rule.id)
def test_a_trigger_message_leads_to_the_rules_reminder_on_its_day(
    rule: Rule, live_server: LiveServer, client: httpx.Client
) -> None:
    assert rule.message is not None
    live_server.set_today(SENT_ON)
    patient_id = patient(rule.id, registry=rule.registry, born=born_for(rule.registry, SENT_ON))
    values = valid_values(
        rule.registry,
        rule.message.form,
        today=SENT_ON,
        patient_id=patient_id,
        patient_name="Fiktiv, Utløser",
        **satisfying(rule),
    )
    headers = sign_in(client, "demo")
    body = message_body(rule.registry, rule.message.form, values)
    send(client, headers, body)
    started = trigger_date(rule, values)
    remind_on = started + datetime.timedelta(days=rule.remind_after_days)

    run_reminders(live_server, remind_on - DAY)
    assert rule_reminders(live_server, patient_id=patient_id) == []

    run_reminders(live_server, remind_on)
    made = rule_reminders(live_server, patient_id=patient_id)
    assert [r.rule_id for r in made] == [rule.id]
    reminder = made[0]
    due = started + datetime.timedelta(days=rule.due_after_days)
    assert (reminder.registry_code, reminder.form) == (rule.registry, rule.form)
    assert (reminder.event_date, reminder.due_date) == (started, due)
    assert reminder.trigger_message_id == body["message_id"]
    assert reminder.patient_name == "Fiktiv, Utløser"
    assert reminder.unit_id == live_server.unit_id_of("demo")  # the unit that sent the trigger
    _check_due_and_overdue(live_server, client, headers, reminder.id, due)

    assert run_reminders(live_server, due + DAY)["created"] == 0


def test_an_assessment_that_plans_no_surgery_leads_to_no_surgery_reminder(
    live_server: LiveServer, client: httpx.Client
) -> None:
    rule = RULES.rule("breast.surgery_after_planned")
    live_server.set_today(SENT_ON)
    planned, not_planned = patient("planned"), patient("not planned")
    headers = sign_in(client, "demo")
    dates = {}
    for patient_id, answer in ((planned, "1"), (not_planned, "0")):
        values = valid_values(
            "breast",
            "assessment",
            today=SENT_ON,
            patient_id=patient_id,
            surgery_planned=answer,
            neoadjuvant_planned="0",
        )
        send(client, headers, message_body("breast", "assessment", values))
        dates[patient_id] = trigger_date(rule, values)
    latest = max(dates.values()) + datetime.timedelta(days=rule.remind_after_days)
    run_reminders(live_server, latest)
    assert [r.rule_id for r in rule_reminders(live_server, patient_id=planned)] == [rule.id]
    assert [r.rule_id for r in rule_reminders(live_server, patient_id=not_planned)] == []


def test_a_message_already_received_means_no_reminder(
    live_server: LiveServer, client: httpx.Client, tmp_path: Path
) -> None:
    report_to(live_server)
    live_server.set_today(SENT_ON)
    rule = RULES.rule("breast.assessment_after_pathology")
    answered, waiting = patient("answered"), patient("waiting")
    rows = [
        case_row(
            registry="breast", event="pathology_diagnosis", event_date=EVENT_DATE, patient_id=p
        )
        for p in (answered, waiting)
    ]
    assert import_rows(live_server, tmp_path, rows, today=SENT_ON) == 0
    headers = sign_in(client, "demo")
    values = valid_values("breast", "assessment", today=SENT_ON, patient_id=answered)
    send(client, headers, message_body("breast", "assessment", values))
    # The other unit's assessment for the waiting patient answers nothing of ours.
    bergen = sign_in(client, "bergen")
    values = valid_values("breast", "assessment", today=SENT_ON, patient_id=waiting)
    send(client, bergen, message_body("breast", "assessment", values))

    summary = run_reminders(live_server, EVENT_DATE + datetime.timedelta(days=90))
    assert rule_reminders(live_server, patient_id=answered) == []
    assert [r.rule_id for r in rule_reminders(live_server, patient_id=waiting)] == [rule.id]
    assert summary["message_found"] == 1


def test_a_case_without_a_norwegian_number_gets_a_reminder_with_its_case_id(
    live_server: LiveServer, client: httpx.Client, tmp_path: Path
) -> None:
    report_to(live_server)
    row = case_row(
        registry="sarcoma",
        event="pathology_diagnosis",
        event_date=EVENT_DATE,
        case_id="KRG-2026-000417",
        patient_name="Fiktiv, Uten Nummer",
    )
    assert import_rows(live_server, tmp_path, [row], today=EVENT_DATE) == 0
    run_reminders(live_server, EVENT_DATE + datetime.timedelta(days=120))
    (reminder,) = rule_reminders(live_server, case_id="KRG-2026-000417")
    assert reminder.patient_id is None
    shown = listed(client, sign_in(client, "demo"))[reminder.id]
    assert shown["patient_id"] is None
    assert shown["case_id"] == "KRG-2026-000417"
    assert shown["patient_name"] == "Fiktiv, Uten Nummer"


def test_cases_go_to_the_unit_of_their_department_or_wait_for_a_unit(
    live_server: LiveServer, tmp_path: Path
) -> None:
    report_to(live_server, ["breast"])
    demo_unit = live_server.unit_id_of("demo")
    oncology = live_server.add_user(
        "onko",
        "secret-password",
        unit_name="Breast oncology",
        hospital_code=DEMO_HOSPITAL,
        hospital_name="Oslo universitetssykehus Ullevål",
        department="oncology",
    )
    report_to(live_server, ["breast"], unit_id=oncology)
    surgery_case, oncology_case, unrouted = patient("s"), patient("o"), patient("u")
    rows = [
        case_row(
            registry="breast",
            event="pathology_diagnosis",
            event_date=EVENT_DATE,
            patient_id=surgery_case,
        ),
        case_row(
            registry="breast",
            event="pathology_diagnosis",
            event_date=EVENT_DATE,
            patient_id=oncology_case,
            department="oncology",
        ),
        case_row(
            registry="breast",
            event="pathology_diagnosis",
            event_date=EVENT_DATE,
            patient_id=unrouted,
            hospital_code="1608",
        ),
    ]
    assert import_rows(live_server, tmp_path, rows, today=EVENT_DATE) == 0
    day = EVENT_DATE + datetime.timedelta(days=90)
    summary = run_reminders(live_server, day)
    assert summary["unrouted_cases"] == 1
    assert [r.unit_id for r in rule_reminders(live_server, patient_id=surgery_case)] == [demo_unit]
    assert [r.unit_id for r in rule_reminders(live_server, patient_id=oncology_case)] == [oncology]
    assert rule_reminders(live_server, patient_id=unrouted) == []

    # A unit at St. Olavs starts reporting to the registry: the waiting case is routed to it.
    st_olavs = live_server.add_user(
        "olav",
        "secret-password",
        unit_name="Breast surgery",
        hospital_code="1608",
        hospital_name="St. Olavs hospital",
        department="surgery",
    )
    report_to(live_server, ["breast"], unit_id=st_olavs)
    summary = run_reminders(live_server, day)
    assert (summary["routed_now"], summary["unrouted_cases"], summary["created"]) == (1, 0, 1)
    assert [r.unit_id for r in rule_reminders(live_server, patient_id=unrouted)] == [st_olavs]


@pytest.mark.postgres
def test_the_job_and_the_answers_on_postgres(tmp_path: Path, postgres_database_url: str) -> None:
    """The same queries on PostgreSQL (several server processes share it in production)."""
    with LiveServer(tmp_path / "server", database_url=postgres_database_url) as server:
        report_to(server, ["breast", "sarcoma"], unit_id=server.unit_id_of("demo"))
        live, answered = patient(f"pg {uuid.uuid4()}"), patient(f"pg {uuid.uuid4()}")
        rows = [
            case_row(
                registry="sarcoma", event="surgery_procedure", event_date=EVENT_DATE, patient_id=p
            )
            for p in (live, answered)
        ]
        assert import_rows(server, tmp_path, rows, today=EVENT_DATE) == 0
        assert import_rows(server, tmp_path, rows, today=EVENT_DATE) == 0  # stored once
        run_reminders(server, EVENT_DATE + datetime.timedelta(days=30))
        run_reminders(server, EVENT_DATE + datetime.timedelta(days=31))
        (first,) = rule_reminders(server, patient_id=live)
        (second,) = rule_reminders(server, patient_id=answered)
        server.set_today(SENT_ON)
        with httpx.Client(base_url=server.url, verify=server.ssl_context()) as client:
            headers = sign_in(client, "demo")
            assert {first.id, second.id} <= set(listed(client, headers))
            values = valid_values("sarcoma", "surgery", today=SENT_ON, patient_id=live)
            send(client, headers, message_body("sarcoma", "surgery", values))
            response = client.post(
                f"/api/v1/reminders/{second.id}/answer",
                json={"answer": "not_ours", "reason": "Operated elsewhere."},
                headers=headers,
            )
            assert response.status_code == 200, response.text
            assert not {first.id, second.id} & set(listed(client, headers))
