"""The statistics count a message on the registry's own date (Europe/Oslo): one received at
00:30 in Oslo is that day's, in that day's month, and its days to report end on that day, not on
the UTC date before it. Checked against the cells the job stores and the second way."""

from __future__ import annotations

import datetime

import httpx
from sqlalchemy import select, update

from registry_server.jobs import run_jobs
from registry_server.jobs.runner import last_finished
from registry_server.models import Message, StatisticsCell
from tests.server.helpers import catalogue, sign_in
from tests.server.statistics_second_way import Data, second_way
from tests.support.live_server import LiveServer

from .reminder_support import message_body, patient, send, valid_values

TODAY = datetime.date(2026, 12, 6)
UTC = datetime.UTC
# Received 00:30 in Oslo on the first of the month: winter (UTC+1) and summer (UTC+2) time.
RECEIVED = {
    "2026-03": (datetime.datetime(2026, 2, 28, 23, 30, tzinfo=UTC), datetime.date(2026, 2, 1)),
    "2026-07": (datetime.datetime(2026, 6, 30, 22, 30, tzinfo=UTC), datetime.date(2026, 6, 1)),
}


def _cells(server: LiveServer, indicator: str) -> dict[str, tuple]:
    with server.session_factory() as session:
        run = last_finished(session, "statistics")
        assert run is not None
        rows = session.execute(
            select(
                StatisticsCell.period,
                StatisticsCell.denominator,
                StatisticsCell.numerator,
                StatisticsCell.value,
            ).where(
                StatisticsCell.run_id == run.id,
                StatisticsCell.indicator == indicator,
                StatisticsCell.level == "unit",
            )
        ).all()
    return {period: (n, numerator, value) for period, n, numerator, value in rows}


def test_a_message_received_just_after_midnight_in_oslo_counts_on_that_day(
    live_server: LiveServer, client: httpx.Client
) -> None:
    headers = sign_in(client, "demo")
    for month, (moment, diagnosed) in RECEIVED.items():
        values = valid_values(
            "breast",
            "assessment",
            today=diagnosed + datetime.timedelta(days=20),
            patient_id=patient(f"midnight {month}"),
            diagnosis_date=diagnosed.isoformat(),
        )
        body = message_body("breast", "assessment", values)
        send(client, headers, body)
        with live_server.session_factory.begin() as session:
            session.execute(
                update(Message)
                .where(Message.message_id == body["message_id"])
                .values(received_at=moment)
            )
    run_jobs(live_server.session_factory, catalogue(), TODAY, ["statistics"])

    received = _cells(live_server, "breast.messages_received")
    assert received["2026-03"][0] == 1 and received["2026-07"][0] == 1
    assert "2026-02" not in received and "2026-06" not in received
    days = _cells(live_server, "breast.days_to_report")
    assert days["2026-03"] == (1, None, 28.0)  # 1 February to 1 March
    assert days["2026-07"] == (1, None, 30.0)  # 1 June to 1 July

    expected = second_way(Data(live_server.session_factory), TODAY)
    unit = str(live_server.unit_id_of("demo"))
    for indicator, cells in (
        ("breast.messages_received", received),
        ("breast.days_to_report", days),
    ):
        for period, cell in cells.items():
            assert expected[(indicator, "unit", unit, period)] == cell, (indicator, period)
