"""The one thread that does the client's cache work for people: every autosave and every read
or write the UI asks for (ui.workers.run_on_cache) runs here, one job at a time, in the order
asked. So a keystroke's save and the submit after it can never pass each other, and the GUI
thread never waits on the disk.

The sync engine is the only other writer (its own thread, off the UI); SQLite's write lock
(BEGIN IMMEDIATE, local_cache.database) orders the two.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

log = logging.getLogger(__name__)

_STOP = object()


class CacheWriter:
    def __init__(self, name: str = "cache-writer") -> None:
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._idle = threading.Condition()
        self._open_jobs = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[], Any]) -> Future[Any]:
        """Run `fn` after every job submitted before it; its result or error in the Future."""
        future: Future[Any] = Future()
        with self._idle:
            self._open_jobs += 1
        self._jobs.put((fn, future))
        return future

    def on_thread(self) -> bool:
        """True on the writer's own thread (where waiting for a later job would never end)."""
        return threading.current_thread() is self._thread

    def wait_idle(self, timeout: float | None = 5) -> bool:
        """Wait until every job submitted so far has run; False on timeout."""
        if self.on_thread():
            raise RuntimeError("The cache writer cannot wait for itself.")
        with self._idle:
            return self._idle.wait_for(lambda: self._open_jobs == 0, timeout)

    def _run(self) -> None:
        while True:
            item = self._jobs.get()
            if item is _STOP:
                return
            fn, future = item
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(fn())
                    except BaseException as error:
                        future.set_exception(error)
            finally:
                with self._idle:
                    self._open_jobs -= 1
                    self._idle.notify_all()


_shared: CacheWriter | None = None
_shared_lock = threading.Lock()


def shared_writer() -> CacheWriter:
    """The process's cache writer (made on first use; one cache file per process)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = CacheWriter()
        return _shared
