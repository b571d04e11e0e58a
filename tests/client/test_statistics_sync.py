"""The statistics sync step against the real server: what it stores and publishes, when it asks
again, through a sync engine's pass, and (once the server's job computes them) real figures."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from desktop_app.events import EventBus, StatisticsUpdated
from desktop_app.forms.examples import example_values
from desktop_app.statistics import parse_statistics
from desktop_app.statistics.csv_export import statistics_rows
from desktop_app.sync.api_client import NetworkError, Receipted
from desktop_app.sync.engine import SyncEngine
from desktop_app.sync.statistics_step import (
    REFETCH_AFTER,
    fetch_statistics,
    needs_refresh,
    refresh_statistics,
)
from desktop_app.sync.steps import StepContext, default_steps
from local_cache.statistics import CachedStatistics

from .conftest import Recorder, wait_for

OWNER = "demo"


def _context(api, session, cache, events) -> StepContext:
    return StepContext(
        api=api, token=session.token(), owner=OWNER, session=session, cache=cache, events=events
    )


def test_first_pass_stores_the_answer_and_publishes_its_day(api, session, cache):
    events = EventBus()
    recorder = Recorder(events)
    refresh_statistics(_context(api, session, cache, events))
    cached = cache.statistics.load(OWNER)
    assert cached is not None
    assert set(cached.payload) >= {"as_of", "registries", "unit", "min_cell"}
    assert cached.payload["unit"]["hospital_code"] == "0320"  # the demo user's unit
    # A fresh server (no scheduled jobs) has finished no run yet: nothing computed, said so.
    assert cached.payload["as_of"] is None and cached.as_of is None
    assert cached.payload["registries"] == []
    assert recorder.of(StatisticsUpdated) == [StatisticsUpdated(as_of=cached.payload["as_of"])]
    assert datetime.now(UTC) - cached.fetched_at < timedelta(minutes=1)


def test_a_recent_answer_is_not_asked_for_again_but_an_old_one_is(api, session, cache, server):
    events = EventBus()
    context = _context(api, session, cache, events)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    recent = datetime.now(UTC) - timedelta(minutes=20)
    cache.statistics.save(OWNER, {"as_of": yesterday, "registries": []}, recent)

    server.stop()  # asking now would raise NetworkError
    refresh_statistics(context)
    assert cache.statistics.load(OWNER).fetched_at == recent
    with pytest.raises(NetworkError):
        fetch_statistics(api, context.token, OWNER, cache, events)  # Refresh asks anyway

    server.start()
    old = datetime.now(UTC) - REFETCH_AFTER - timedelta(minutes=1)
    cache.statistics.save(OWNER, {"as_of": yesterday, "registries": []}, old)
    refresh_statistics(context)
    assert cache.statistics.load(OWNER).fetched_at > old


def test_an_answer_as_of_today_or_later_is_asked_for_again_once_hours_old(
    api, session, cache, server
):
    """A re-run of the job the same day, or an operator's run "as of" a future day, must not
    keep the client from asking again: only the age of the last fetch counts."""
    events = EventBus()
    recorder = Recorder(events)
    context = _context(api, session, cache, events)
    for as_of in (date.today().isoformat(), "2030-01-01"):
        fetched = datetime.now(UTC) - REFETCH_AFTER - timedelta(minutes=5)
        cache.statistics.save(OWNER, {"as_of": as_of, "registries": []}, fetched)
        refresh_statistics(context)
        again = cache.statistics.load(OWNER)
        assert again.fetched_at > fetched, as_of
        assert again.as_of is None  # the server's answer replaced it
    assert len(recorder.of(StatisticsUpdated)) == 2

    recent = datetime.now(UTC) - timedelta(minutes=30)
    cache.statistics.save(OWNER, {"as_of": "2030-01-01", "registries": []}, recent)
    server.stop()  # asking now would raise NetworkError
    refresh_statistics(context)
    assert cache.statistics.load(OWNER).fetched_at == recent


@pytest.mark.parametrize(
    ("as_of", "age", "expected"),
    [
        (None, None, True),  # never fetched
        ("2026-12-04", timedelta(hours=2, minutes=59), False),
        ("2026-12-04", timedelta(hours=3, minutes=1), True),
        (None, timedelta(hours=3, minutes=1), True),  # not computed then: ask again
        ("2026-12-05", timedelta(hours=2), False),
        ("2026-12-05", timedelta(hours=4), True),  # as of today: the job may have run again
        ("2030-01-01", timedelta(hours=4), True),  # as of a future day: not until then
        ("2030-01-01", timedelta(minutes=10), False),
        ("2026-12-04", timedelta(hours=-3), True),  # fetched "in the future": clock moved
    ],
)
def test_needs_refresh(as_of, age, expected):
    now = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
    cached = None if age is None else CachedStatistics({}, now - age, as_of)
    assert needs_refresh(cached, now) is expected


def test_every_sync_pass_runs_the_statistics_step(api, session, cache):
    assert refresh_statistics in default_steps()
    events = EventBus()
    recorder = Recorder(events)
    engine = SyncEngine(cache, api, session, events, interval_s=60, steps=[refresh_statistics])
    engine.start()
    try:
        wait_for(lambda: cache.statistics.load(OWNER) is not None)
        wait_for(lambda: recorder.of(StatisticsUpdated))
    finally:
        engine.stop()


def test_figures_computed_by_the_servers_job_arrive_and_read(
    api, session, cache, server, catalogue
):
    """Six breast assessments this month; the job run as of next month counts them."""
    from registry_server.jobs.runner import run_jobs

    rng = random.Random(9)
    definition = catalogue.latest("breast", "assessment")
    for _ in range(6):
        values = example_values(definition, rng)
        body = {
            "message_id": str(uuid.uuid4()),
            "registry": "breast",
            "form": "assessment",
            "version": definition.version,
            "values": definition.submitted_values(values),
        }
        assert isinstance(api.submit(session.token(), body, str(uuid.uuid4())), Receipted)
    today = date.today()
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=2)
    summary = run_jobs(server.session_factory, catalogue, next_month)

    events = EventBus()
    payload = fetch_statistics(api, session.token(), OWNER, cache, events)
    assert payload["registries"], summary

    report = parse_statistics(cache.statistics.load(OWNER).payload)
    assert report.as_of is not None and report.as_of >= today
    assert report.unit.hospital_code == "0320"
    breast = report.registry("breast")
    assert breast is not None and breast.indicators
    received = next(i for i in breast.indicators if i.id == "breast.messages_received")
    assert received.value("unit").n == 6
    assert received.value("unit").value == 6
    for indicator in breast.indicators:
        assert len(indicator.trend) == 12
        assert indicator.title_text("nb") and indicator.title_text("en")
    # The page picks the registry the unit reports most to, and the CSV reads every row.
    assert report.default_registry() == "breast"
    rows = list(statistics_rows(report, "breast"))
    assert len(rows) >= len(breast.indicators) * (4 + 3 * 12)
