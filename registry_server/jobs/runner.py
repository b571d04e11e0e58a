"""Running the jobs once: each in order, each recorded as a `job_runs` row.

On PostgreSQL a session-level advisory lock lets one process run the jobs at a time (several
server processes share one database and each has a scheduler); a process that finds the lock
taken skips the run, since the one holding it computes the same thing.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.forms import Catalogue
from registry_server.models import JobRun, utcnow

log = logging.getLogger(__name__)

# Not the start-up lock's id: a long job must not hold up a process that is starting.
_JOBS_LOCK_ID = 0x4A4F4253

# job name -> function(session_factory, catalogue, today, run_id) -> summary (JSON-able).
JobFunction = Callable[[sessionmaker[Session], Catalogue, datetime.date, int], dict[str, Any]]


def _reminders(factory, catalogue, today, run_id):  # type: ignore[no-untyped-def]
    from registry_server.reminders.job import compute_reminders

    return compute_reminders(factory, catalogue, today)


def _statistics(factory, catalogue, today, run_id):  # type: ignore[no-untyped-def]
    from registry_server.statistics.job import compute_statistics

    return compute_statistics(factory, catalogue, today, run_id)


# Reminders first: the statistics count open and overdue reminders.
JOBS: dict[str, JobFunction] = {"reminders": _reminders, "statistics": _statistics}


class JobsBusy(Exception):
    """Another process is running the jobs right now."""


def run_jobs(
    session_factory: sessionmaker[Session],
    catalogue: Catalogue,
    today: datetime.date | None = None,
    jobs: Iterable[str] = tuple(JOBS),
) -> dict[str, dict[str, Any]]:
    """Run `jobs` for `today` (default: the real date); {job: summary}. JobsBusy when another
    process holds the jobs lock."""
    today = today or datetime.date.today()
    names = list(jobs)
    unknown = sorted(set(names) - set(JOBS))
    if unknown:
        raise ValueError(f"Unknown job(s) {', '.join(unknown)}; known: {', '.join(JOBS)}.")
    results: dict[str, dict[str, Any]] = {}
    with _exclusive(session_factory.kw["bind"]):
        for name in (job for job in JOBS if job in names):  # in dependency order
            results[name] = _run_one(session_factory, catalogue, today, name)
    return results


def _run_one(
    session_factory: sessionmaker[Session], catalogue: Catalogue, today: datetime.date, name: str
) -> dict[str, Any]:
    started = time.perf_counter()
    with session_factory.begin() as session:
        run = JobRun(job=name, as_of=today, started_at=utcnow())
        session.add(run)
        session.flush()
        run_id = run.id
    summary = JOBS[name](session_factory, catalogue, today, run_id)
    summary = {**summary, "seconds": round(time.perf_counter() - started, 3)}
    with session_factory.begin() as session:
        finished = session.get_one(JobRun, run_id)
        finished.finished_at = utcnow()
        finished.summary = json.dumps(summary, sort_keys=True)
    log.info("Job %s for %s done: %s", name, today.isoformat(), summary)
    return summary


def last_finished(session: Session, job: str) -> JobRun | None:
    """The newest finished run of `job`, or None."""
    return session.scalar(
        select(JobRun)
        .where(JobRun.job == job, JobRun.finished_at.is_not(None))
        .order_by(JobRun.finished_at.desc(), JobRun.id.desc())
        .limit(1)
    )


@contextmanager
def _exclusive(engine: Engine) -> Iterator[None]:
    if engine.dialect.name != "postgresql":
        yield  # SQLite: one server process per file
        return
    with engine.connect() as connection:
        taken = connection.execute(
            text("SELECT pg_try_advisory_lock(:id)"), {"id": _JOBS_LOCK_ID}
        ).scalar()
        connection.commit()
        if not taken:
            raise JobsBusy("Another server process is running the jobs now.")
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _JOBS_LOCK_ID})
            connection.commit()
