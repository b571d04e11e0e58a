"""The jobs with several processes: one runs them at a time on SQLite too (a file lock), a
failed run is recorded, the scheduler of a second process does not run them again, a run for
an earlier day is not the one served, and the commands say what is wrong with a database URL.
"""

from __future__ import annotations

import datetime
import json
import os
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, insert, select

from registry_server.jobs import run_jobs
from registry_server.jobs.cli import main as jobs_main
from registry_server.jobs.runner import JobsBusy, last_finished
from registry_server.models import JobRun, Message, Reminder, StatisticsCell, utcnow
from registry_server.reminders.expected_cli import main as import_main
from registry_server.transfers import main as transfers_main
from tests.server.helpers import catalogue, sign_in, valid_body
from tests.support.live_server import LiveServer

from .reminder_support import case_row, csv_bytes, import_rows, patient, report_to

TODAY = datetime.date(2026, 12, 6)
EVENT_DATE = datetime.date(2026, 6, 1)


@pytest.fixture
def server(tmp_path: Path):
    with LiveServer(tmp_path / "server") as server:  # the demo units and accounts
        yield server


def _database_file(server: LiveServer) -> str:
    return server.database_url.removeprefix("sqlite:///")


def _runs(server: LiveServer) -> list[JobRun]:
    with server.session_factory() as session:
        runs = list(session.scalars(select(JobRun).order_by(JobRun.id)))
        session.expunge_all()
        return runs


def _notifications(server: LiveServer, tmp_path: Path, count: int) -> None:
    report_to(server, ["breast"])
    rows = [
        case_row(
            registry="breast",
            event="pathology_diagnosis",
            event_date=EVENT_DATE,
            patient_id=patient(f"jobs {i}"),
        )
        for i in range(count)
    ]
    assert import_rows(server, tmp_path, rows, today=TODAY) == 0


def test_while_one_process_holds_the_jobs_lock_another_is_told_it_is_busy(
    server: LiveServer, capsys: pytest.CaptureFixture[str]
) -> None:
    fcntl = pytest.importorskip("fcntl")  # Windows: SQLite runs take no lock
    fd = os.open(f"{_database_file(server)}.jobs.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what a running `jobs` holds
        with pytest.raises(JobsBusy):
            run_jobs(server.session_factory, catalogue(), TODAY)
        assert jobs_main(["--database-url", server.database_url]) == 1
        assert "Another process is running the jobs" in capsys.readouterr().err
        assert _runs(server) == []
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
    assert set(run_jobs(server.session_factory, catalogue(), TODAY)) == {"reminders", "statistics"}


def test_two_runs_at_once_on_one_sqlite_file_never_collide(
    server: LiveServer, tmp_path: Path
) -> None:
    _notifications(server, tmp_path, 300)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def run() -> None:
        barrier.wait()
        try:
            outcomes.append(run_jobs(server.session_factory, catalogue(), TODAY))
        except Exception as exc:  # the test looks at what it was
            outcomes.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(outcomes) == 2
    assert all(isinstance(o, dict | JobsBusy) for o in outcomes), outcomes
    assert any(isinstance(o, dict) for o in outcomes)
    assert all(run.finished_at is not None for run in _runs(server))
    with server.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Reminder)) == 300


def test_a_failed_job_is_recorded_unfinished_and_the_error_reaches_the_caller(
    server: LiveServer,
) -> None:
    with server.session_factory.begin() as session:  # a damaged message body
        unit = server.unit_id_of("demo")
        body = valid_body(seed=4)
        session.execute(
            insert(Message),
            {
                "message_id": body["message_id"],
                "unit_id": unit,
                "username": "demo",
                "registry_code": "breast",
                "form": "assessment",
                "version": body["version"],
                "body": "{not json",
                "body_sha256": "0" * 64,
                "idempotency_key": str(uuid.uuid4()),
                "received_at": utcnow() - datetime.timedelta(days=30),
                "patient_id": body["values"]["patient_id"],
            },
        )
    with pytest.raises(ValueError):
        run_jobs(server.session_factory, catalogue(), TODAY)
    reminders, statistics = _runs(server)
    assert reminders.job == "reminders" and reminders.finished_at is not None
    assert statistics.job == "statistics" and statistics.finished_at is None
    assert json.loads(statistics.summary or "{}") == {"failed": "JSONDecodeError"}
    with server.session_factory() as session:
        assert last_finished(session, "statistics") is None
        assert session.scalar(select(func.count()).select_from(StatisticsCell)) == 0


def test_a_second_scheduler_after_the_first_finds_the_days_jobs_done(server: LiveServer) -> None:
    first = run_jobs(server.session_factory, catalogue(), TODAY, unless_done=True)
    assert set(first) == {"reminders", "statistics"}
    # Another process's timer fires a moment later, for the same day: nothing to do.
    assert run_jobs(server.session_factory, catalogue(), TODAY, unless_done=True) == {}
    assert len(_runs(server)) == 2
    # Done for a later day counts as done too; the next day is not done.
    yesterday = TODAY - datetime.timedelta(days=1)
    assert run_jobs(server.session_factory, catalogue(), yesterday, unless_done=True) == {}
    nextday = run_jobs(
        server.session_factory, catalogue(), TODAY + datetime.timedelta(days=1), unless_done=True
    )
    assert set(nextday) == {"reminders", "statistics"}
    # Without unless_done (`registry-server jobs`) a run is always made.
    assert set(run_jobs(server.session_factory, catalogue(), TODAY, ["reminders"])) == {"reminders"}


def test_a_manual_run_for_an_earlier_day_is_not_the_one_served(
    server: LiveServer, tmp_path: Path
) -> None:
    _notifications(server, tmp_path, 5)  # cells for the coverage in June 2026
    with httpx.Client(base_url=server.url, verify=server.ssl_context(), timeout=10) as client:
        run_jobs(server.session_factory, catalogue(), TODAY)
        for _ in range(3):  # e.g. `registry-server jobs --today 2025-01-01`, tried three times
            run_jobs(server.session_factory, catalogue(), datetime.date(2025, 1, 1))
        with server.session_factory() as session:
            served = last_finished(session, "statistics")
            assert served is not None and served.as_of == TODAY
            kept = session.scalar(
                select(func.count())
                .select_from(StatisticsCell)
                .where(StatisticsCell.run_id == served.id)
            )
            assert kept  # not pruned as an "older" run
        answer = client.get("/api/v1/statistics", headers=sign_in(client)).json()
        assert answer["as_of"] == TODAY.isoformat()
        assert answer["period"]["to"] == "2026-11-30"


COMMANDS: dict[str, Callable[[str], int]] = {
    "jobs": lambda url: jobs_main(["--database-url", url]),
    "transfers": lambda url: transfers_main(["--list", "--database-url", url]),
}


@pytest.mark.parametrize("command", ["jobs", "transfers", "import-expected"])
@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("bogus://", "names a database or driver this program cannot use"),
        ("mysql://user@host/db", "names a database or driver this program cannot use"),
        ("not a url", "cannot be read as a database URL"),
        ("postgresql+psycopg://u:secret@127.0.0.1:1/x", "cannot be reached"),
    ],
)
def test_a_bad_database_url_is_one_sentence(
    command: str, url: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if command == "import-expected":
        path = tmp_path / "notifications.csv"
        path.write_bytes(
            csv_bytes(
                [
                    case_row(
                        registry="breast",
                        event="pathology_diagnosis",
                        event_date=EVENT_DATE,
                        patient_id=patient("url"),
                    )
                ]
            )
        )
        code = import_main([str(path), "--database-url", url, "--today", TODAY.isoformat()])
    else:
        code = COMMANDS[command](url)
    err = capsys.readouterr().err
    assert code == 1
    assert said in err
    assert "secret" not in err  # a password is never shown
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].endswith("."), err
