"""The one way to run slow work off the GUI thread.

``run_in_background(fn, on_success, on_failure)`` runs ``fn`` on a thread pool and calls the
callbacks on the GUI thread. The GUI thread never waits on the network or on a long query.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

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
    """Wait for running jobs (at shutdown and in tests); True if all finished."""
    return thread_pool().waitForDone(timeout_ms)


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
    global _dispatcher
    if _dispatcher is None:
        _dispatcher = _Dispatcher()
    number = _dispatcher.register(fn, (on_success, on_failure, parent))
    thread_pool().start(_Job(fn, _dispatcher, number))
