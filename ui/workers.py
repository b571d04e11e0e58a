"""The two ways to run work off the GUI thread; the callbacks run on the GUI thread.

* ``run_on_cache(fn, on_success, on_failure)``: everything that reads or writes the local
  cache. One worker thread, first in first out (desktop_app.cache_writer, which the
  autosaver's writes share): a save queued before a submit lands before it, a reload queued
  after a delete sees it, and SQLite never has two writers from this process's UI.
* ``run_in_background(fn, ...)``: the rest (network, PDFs, key derivation without the cache),
  on a small pool.

The GUI thread never waits on the network or on a query. Where the program must know a write
landed before it goes on (closing the window, quitting), ``call_on_cache`` waits in a local
event loop, so the window still paints meanwhile.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QEventLoop, QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot

from desktop_app.cache_writer import shared_writer

log = logging.getLogger(__name__)

_pool: QThreadPool | None = None
_dispatcher: _Dispatcher | None = None

Callbacks = tuple[
    Callable[[Any], None] | None, Callable[[BaseException], None] | None, QObject | None
]


def thread_pool() -> QThreadPool:
    """The pool used for background work (separate from Qt's global pool so it can be drained)."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setObjectName("registry-background")
        _pool.setMaxThreadCount(4)
    return _pool


def wait_for_background_work(timeout_ms: int = 5000) -> bool:
    """Wait for running jobs of both pools (at shutdown and in tests); True if all finished.

    Blocks the calling thread: for after the event loop has ended, and for tests."""
    return thread_pool().waitForDone(timeout_ms) and shared_writer().wait_idle(timeout_ms / 1000)


class _Dispatcher(QObject):
    """One long-lived object on the GUI thread: workers emit, Qt queues the call to this thread.

    Callbacks are kept here by job number rather than on a QObject per job, so nothing is
    deleted while Qt may still deliver to it.
    """

    finished = Signal(int, bool, object)

    def __init__(self) -> None:
        super().__init__()
        self._jobs: dict[int, Callbacks] = {}
        # The job's function too: it may hold the last reference to a widget (a lambda over a
        # dialog), which must be released here on the GUI thread, never on a worker.
        self._functions: dict[int, Callable[[], Any]] = {}
        self._numbers = itertools.count(1)
        self.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def register(self, fn: Callable[[], Any], callbacks: Callbacks) -> int:
        number = next(self._numbers)
        self._jobs[number] = callbacks
        self._functions[number] = fn
        return number

    @Slot(int, bool, object)
    def _deliver(self, number: int, ok: bool, value: object) -> None:
        self._functions.pop(number, None)
        on_success, on_failure, parent = self._jobs.pop(number)
        if parent is not None and not shiboken6.isValid(parent):
            return  # the widget that asked was closed meanwhile: nobody waits for the answer
        if ok:
            if on_success is not None:
                on_success(value)
        elif on_failure is not None:
            on_failure(value)  # type: ignore[arg-type]
        else:
            error = value if isinstance(value, BaseException) else RuntimeError(str(value))
            log.error("Background task failed", exc_info=(type(error), error, error.__traceback__))


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], dispatcher: _Dispatcher, number: int) -> None:
        super().__init__()
        self._fn: Callable[[], Any] | None = fn
        self._dispatcher = dispatcher
        self._number = number

    def run(self) -> None:
        fn, self._fn = self._fn, None  # the dispatcher keeps the other reference
        try:
            result: tuple[bool, object] = (True, fn())  # type: ignore[misc]
        except Exception as exc:
            result = (False, exc)
        del fn
        self._dispatcher.finished.emit(self._number, *result)


def run_in_background(
    fn: Callable[[], Any],
    on_success: Callable[[Any], None] | None = None,
    on_failure: Callable[[BaseException], None] | None = None,
    *,
    parent: QObject | None = None,
) -> None:
    """Run ``fn()`` on the background pool; call ``on_success(result)`` or ``on_failure(exc)``
    on the GUI thread. With ``parent``, the callbacks are dropped if ``parent`` is deleted first.

    Must be called from the GUI thread.
    """
    _start(thread_pool(), fn, (on_success, on_failure, parent))


def run_on_cache(
    fn: Callable[[], Any],
    on_success: Callable[[Any], None] | None = None,
    on_failure: Callable[[BaseException], None] | None = None,
    *,
    parent: QObject | None = None,
) -> None:
    """Run ``fn()`` on the cache's one worker after every job queued before it; the callbacks
    as for ``run_in_background``. Every read and write of the local cache from the UI goes
    here. Must be called from the GUI thread."""
    job = _job(fn, (on_success, on_failure, parent))
    shared_writer().submit(job.run)


def call_on_cache(fn: Callable[[], Any], timeout_ms: int = 10_000) -> Any:
    """Run ``fn()`` on the cache worker (after the jobs queued before it) and return its
    result, waiting in a local event loop so the window keeps painting. Raises what ``fn``
    raised, or TimeoutError. For closing and quitting, which must not go on before the last
    edit is on disk; never from a callback that the cache worker's jobs wait for."""
    loop = QEventLoop()
    outcome: list[tuple[bool, Any]] = []

    def done(ok: bool, value: Any) -> None:
        outcome.append((ok, value))
        loop.quit()

    run_on_cache(fn, lambda value: done(True, value), lambda error: done(False, error))
    if not outcome:
        timer = QTimer(loop)  # goes with the loop: no late quit() of a deleted loop
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        timer.start(timeout_ms)
        # User input waits (a click could start more work on the window being closed);
        # painting and the cache worker's answers go on.
        loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
    if not outcome:
        raise TimeoutError("The local cache did not answer in time.")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def _start(pool: QThreadPool, fn: Callable[[], Any], callbacks: Callbacks) -> None:
    pool.start(_job(fn, callbacks))


def _job(fn: Callable[[], Any], callbacks: Callbacks) -> _Job:
    global _dispatcher
    if _dispatcher is None:
        _dispatcher = _Dispatcher()
    number = _dispatcher.register(fn, callbacks)
    return _Job(fn, _dispatcher, number)
