"""Reporting coverage counts what the unit owes: pathology cases whose message is due, that the
unit did not answer as not its own, matched by a message for the patient received on or after
the diagnosis (an older message is about an earlier illness)."""

from __future__ import annotations

import datetime
import random

import httpx
from sqlalchemy import select, update

from desktop_app.forms import generate_identity_number
from registry_server.jobs.runner import run_jobs
from registry_server.models import ExpectedCase, Message, Reminder, StatisticsCell
from registry_server.reminders.expected import ExpectedCaseIn, insert_expected_cases
from tests.server.helpers import body_for, catalogue, sign_in, submit
from tests.support.live_server import LiveServer

TODAY = datetime.date.today()  # messages sent now are received today
LONG_AGO = TODAY - datetime.timedelta(days=100)  # due (60 days) and within the 12 months
# Last month (inside the 12 months counted) and less than 60 days old: not due yet.
RECENT = TODAY.replace(day=1) - datetime.timedelta(days=1)


def _patients(count: int) -> list[str]:
    rng = random.Random(4711)
    return [generate_identity_number(rng, datetime.date(1960, 1, 1)) for _ in range(count)]


def _coverage_cell(server: LiveServer, unit_id: int) -> tuple[int, int | None]:
    with server.session_factory() as session:
        cell = session.scalars(
            select(StatisticsCell)
            .where(
                StatisticsCell.indicator == "breast.coverage",
                StatisticsCell.level == "unit",
                StatisticsCell.level_key == str(unit_id),
                StatisticsCell.period == "12m",
            )
            .order_by(StatisticsCell.run_id.desc())
        ).first()
    assert cell is not None
    return cell.denominator, cell.numerator


def test_coverage_counts_what_is_owed(live_server: LiveServer, client: httpx.Client) -> None:
    sent, missing, answered, recent, before = _patients(5)
    with live_server.session_factory.begin() as session:
        insert_expected_cases(
            session,
            [
                ExpectedCaseIn(
                    "breast", "pathology_diagnosis", day, "0320", "pathology", patient_id=patient
                )
                for patient, day in (
                    (sent, LONG_AGO),
                    (missing, LONG_AGO),
                    (answered, LONG_AGO),
                    (recent, RECENT),
                    (before, LONG_AGO),
                )
            ],
        )
    headers = sign_in(client, "demo")
    definition = catalogue().latest("breast", "assessment")
    for seed, patient in enumerate((sent, before)):
        body = body_for(definition, seed, patient_id=patient)
        assert submit(client, headers, body).status_code == 201
    # The message for `before` came a year before this diagnosis: about an earlier illness.
    a_year_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=365)
    with live_server.session_factory.begin() as session:
        session.execute(
            update(Message).where(Message.patient_id == before).values(received_at=a_year_ago)
        )

    run_jobs(live_server.session_factory, catalogue(), TODAY, jobs=["reminders"])
    with live_server.session_factory() as session:
        reminder_id = session.scalar(
            select(Reminder.id)
            .join(ExpectedCase, ExpectedCase.id == Reminder.expected_case_id)
            .where(ExpectedCase.patient_id == answered)
        )
    assert reminder_id is not None
    answer = client.post(
        f"/api/v1/reminders/{reminder_id}/answer",
        json={"answer": "not_ours", "reason": "Operated and followed up at another hospital."},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text

    run_jobs(live_server.session_factory, catalogue(), TODAY, jobs=["statistics"])

    # Owed: sent, missing, before (answered: not the unit's; recent: not due yet).
    # Met: sent only (the message for `before` is older than its diagnosis).
    assert _coverage_cell(live_server, live_server.unit_id_of("demo")) == (3, 1)
