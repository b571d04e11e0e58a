"""Running the jobs once: each in order, each recorded as a `job_runs` row.

One process runs the jobs at a time: on PostgreSQL a session-level advisory lock (several
server processes share one database and each has a scheduler), on SQLite an exclusive lock on
the file `<database file>.jobs.lock` beside the database (a server process, `registry-server
jobs` from cron and `import-expected --run-jobs` may run at once). A process that finds the
lock taken gets JobsBusy and skips the run, since the one holding it computes the same thing.
On a platform without `fcntl` (Windows) SQLite runs take no lock.

A job that fails leaves its `job_runs` row unfinished (`finished_at` NULL) with the summary
`{"failed": "<exception class>"}`, and the exception goes to the caller.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.forms import Catalogue
from registry_server.models import JobRun, utcnow

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

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
    *,
    unless_done: bool = False,
) -> dict[str, dict[str, Any]]:
    """Run `jobs` for `today` (default: the real date); {job: summary}. JobsBusy when another
    process holds the jobs lock. `unless_done` (the scheduler): when, with the lock held,
    every one of `jobs` already has a finished run as of `today` or later, run nothing and
    return {} (another process's timer ran them a moment ago)."""
    today = today or datetime.date.today()
    names = list(jobs)
    unknown = sorted(set(names) - set(JOBS))
    if unknown:
        raise ValueError(f"Unknown job(s) {', '.join(unknown)}; known: {', '.join(JOBS)}.")
    results: dict[str, dict[str, Any]] = {}
    with _exclusive(session_factory.kw["bind"]):
        if unless_done and _all_done(session_factory, names, today):
            log.info("The jobs for %s have already run; nothing to do", today.isoformat())
            return results
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
    try:
        summary = JOBS[name](session_factory, catalogue, today, run_id)
    except BaseException as exc:
        try:
            with session_factory.begin() as session:
                failed = session.get_one(JobRun, run_id)
                failed.summary = json.dumps({"failed": type(exc).__name__})
        except Exception:  # the database went away too; the original error matters more
            log.exception("Could not record that job %s failed", name)
        log.error("Job %s for %s failed (%s)", name, today.isoformat(), type(exc).__name__)
        raise
    summary = {**summary, "seconds": round(time.perf_counter() - started, 3)}
    with session_factory.begin() as session:
        finished = session.get_one(JobRun, run_id)
        finished.finished_at = utcnow()
        finished.summary = json.dumps(summary, sort_keys=True)
    log.info("Job %s for %s done: %s", name, today.isoformat(), summary)
    return summary


# The newest run first: by the day it is as of, then by when it finished. A run for an
# earlier day made later (`registry-server jobs --today 2025-01-01`) is not the newest.
NEWEST_FIRST = (JobRun.as_of.desc(), JobRun.finished_at.desc(), JobRun.id.desc())


def last_finished(session: Session, job: str) -> JobRun | None:
    """The newest finished run of `job` (the latest day it is as of), or None."""
    return session.scalar(
        select(JobRun)
        .where(JobRun.job == job, JobRun.finished_at.is_not(None))
        .order_by(*NEWEST_FIRST)
        .limit(1)
    )


def _all_done(
    session_factory: sessionmaker[Session], jobs: list[str], today: datetime.date
) -> bool:
    with session_factory() as session:
        for job in jobs:
            run = last_finished(session, job)
            if run is None or run.as_of < today:
                return False
    return True


@contextmanager
def _exclusive(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "sqlite":
        with _file_lock(engine):
            yield
        return
    if engine.dialect.name != "postgresql":
        yield
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


@contextmanager
def _file_lock(engine: Engine) -> Iterator[None]:
    """An exclusive lock on `<database file>.jobs.lock`, not waited for (JobsBusy)."""
    database = engine.url.database
    if fcntl is None or not database or database == ":memory:":
        yield  # no fcntl (Windows), or a database no other process can open
        return
    fd = os.open(f"{database}.jobs.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise JobsBusy("Another process is running the jobs on this database now.") from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
