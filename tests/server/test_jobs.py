"""The scheduled jobs: each run recorded, the nightly schedule, and `registry-server jobs`."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from registry_server.jobs import JOBS, run_jobs
from registry_server.jobs.runner import last_finished
from registry_server.jobs.scheduler import NightlyJobs, next_run
from registry_server.models import JobRun
from tests.server.helpers import catalogue
from tests.support.live_server import LiveServer

TODAY = datetime.date(2026, 12, 6)


@pytest.fixture
def server(tmp_path: Path):
    # Not started: the jobs need only the database.
    server = LiveServer(tmp_path / "server")
    yield server
    server.close()


def test_each_job_run_is_recorded_in_order(server: LiveServer) -> None:
    results = run_jobs(server.session_factory, catalogue(), TODAY)
    assert list(results) == list(JOBS) == ["reminders", "statistics"]
    with server.session_factory() as session:
        runs = session.scalars(select(JobRun).order_by(JobRun.id)).all()
        assert [(r.job, r.as_of) for r in runs] == [("reminders", TODAY), ("statistics", TODAY)]
        assert all(r.finished_at is not None and r.finished_at >= r.started_at for r in runs)
        summary = json.loads(runs[0].summary or "{}")
        assert summary["seconds"] >= 0
        assert last_finished(session, "statistics").id == runs[1].id


def test_an_unknown_job_is_refused_before_anything_runs(server: LiveServer) -> None:
    with pytest.raises(ValueError, match="Unknown job"):
        run_jobs(server.session_factory, catalogue(), TODAY, ["reminders", "backup"])
    with server.session_factory() as session:
        assert session.scalars(select(JobRun)).all() == []


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime.datetime(2026, 12, 6, 1, 59), datetime.datetime(2026, 12, 6, 2, 0)),
        (datetime.datetime(2026, 12, 6, 2, 0), datetime.datetime(2026, 12, 7, 2, 0)),
        (datetime.datetime(2026, 12, 31, 23, 0), datetime.datetime(2027, 1, 1, 2, 0)),
    ],
)
def test_the_next_nightly_run(now: datetime.datetime, expected: datetime.datetime) -> None:
    assert next_run(now, datetime.time(2, 0)) == expected


def _runs(server: LiveServer) -> list[tuple[str, datetime.date]]:
    with server.session_factory() as session:
        return [(r.job, r.as_of) for r in session.scalars(select(JobRun).order_by(JobRun.id))]


def _wait_for(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_scheduler_runs_at_start_only_when_the_last_run_is_older_than_today(
    server: LiveServer,
) -> None:
    scheduler = NightlyJobs(
        server.session_factory, catalogue(), datetime.time(2, 0), today=lambda: TODAY
    )
    scheduler.start()
    try:
        _wait_for(lambda: len(_runs(server)) == 2)
    finally:
        scheduler.stop()
    assert _runs(server) == [("reminders", TODAY), ("statistics", TODAY)]

    # Started again the same day (a restart): nothing to catch up.
    again = NightlyJobs(
        server.session_factory, catalogue(), datetime.time(2, 0), today=lambda: TODAY
    )
    again.start()
    time.sleep(0.5)
    again.stop()
    assert len(_runs(server)) == 2


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "registry_server", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_jobs_command(server: LiveServer) -> None:
    done = _cli("jobs", "--data-dir", str(server.data_dir), "--today", "2026-12-06")
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)) == {"reminders", "statistics"}
    only = _cli("jobs", "--only", "statistics", "--data-dir", str(server.data_dir))
    assert only.returncode == 0, only.stderr
    assert list(json.loads(only.stdout)) == ["statistics"]
    assert [job for job, _ in _runs(server)] == ["reminders", "statistics", "statistics"]


def test_the_jobs_command_says_what_is_wrong(tmp_path: Path) -> None:
    missing = _cli("jobs", "--data-dir", str(tmp_path / "nowhere"))
    assert missing.returncode == 1
    assert "There is no server database" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad_date = _cli("jobs", "--today", "06.12.2026", "--data-dir", str(tmp_path))
    assert bad_date.returncode == 2
    assert "YYYY-MM-DD" in bad_date.stderr


def test_the_jobs_command_refuses_a_future_day_unless_asked(server: LiveServer) -> None:
    later = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    refused = _cli("jobs", "--data-dir", str(server.data_dir), "--today", later)
    assert refused.returncode == 2
    assert "is after today" in refused.stderr and "--future" in refused.stderr
    assert _runs(server) == []
    allowed = _cli("jobs", "--future", "--data-dir", str(server.data_dir), "--today", later)
    assert allowed.returncode == 0, allowed.stderr
