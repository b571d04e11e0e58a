"""Runs the jobs in a server process: at start when the last run is older than today, then
every night at `ServerSettings.nightly_at` (the server's local time).

Several server processes on one database each have a timer: the first to take the jobs lock
runs them, one that finds the lock taken skips (JobsBusy), and one that takes it after the
first has finished finds every job done for today and runs nothing (`run_jobs(...,
unless_done=True)`)."""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from desktop_app.forms import Catalogue
from registry_server.jobs.runner import JOBS, JobsBusy, last_finished, run_jobs

log = logging.getLogger(__name__)


def next_run(now: datetime.datetime, at: datetime.time) -> datetime.datetime:
    """The first moment at `at` after `now` (naive local times)."""
    candidate = datetime.datetime.combine(now.date(), at)
    return candidate if candidate > now else candidate + datetime.timedelta(days=1)


class NightlyJobs:
    """A daemon thread; `stop()` ends it promptly."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        catalogue: Catalogue,
        at: datetime.time,
        today: Callable[[], datetime.date] = datetime.date.today,
    ) -> None:
        self._factory = session_factory
        self._catalogue = catalogue
        self._at = at
        self._today = today
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nightly-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        if self._stale():
            self._run_jobs()
        while not self._stop.is_set():
            now = datetime.datetime.now()
            wait = (next_run(now, self._at) - now).total_seconds()
            if self._stop.wait(wait):
                break
            self._run_jobs()

    def _stale(self) -> bool:
        with self._factory() as session:
            for job in JOBS:
                run = last_finished(session, job)
                if run is None or run.as_of < self._today():
                    return True
        return False

    def _run_jobs(self) -> None:
        try:
            run_jobs(self._factory, self._catalogue, self._today(), unless_done=True)
        except JobsBusy:
            log.info("Another server process is running the nightly jobs; skipped here")
        except Exception:
            # The server must keep receiving messages; the next night tries again.
            log.exception("The nightly jobs failed")
