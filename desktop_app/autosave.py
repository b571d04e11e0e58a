"""Writes draft values to the cache on the cache writer (desktop_app.cache_writer), newest
values to win.

The form calls save() after each (debounced) edit and never waits on the disk. Saves for the same
message that pile up before their write runs are coalesced: only the newest values are written,
and every Future of the superseded saves resolves with that write. An error reaches each waiting
Future and on_error; values are never dropped without one of them hearing about it. The writes
run in order with the UI's other cache jobs, on the one writer thread.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Protocol

from desktop_app.cache_writer import CacheWriter, shared_writer

log = logging.getLogger(__name__)

ErrorHandler = Callable[[str, BaseException], None]


class DraftWriter(Protocol):
    """What the autosaver needs of local_cache's MessageRepository."""

    def save_values(self, message_id: str, values: dict) -> None: ...


@dataclass
class _Pending:
    values: dict
    futures: list[Future[None]] = field(default_factory=list)


class Autosaver:
    def __init__(
        self,
        messages: DraftWriter,
        on_error: ErrorHandler | None = None,
        writer: CacheWriter | None = None,
    ) -> None:
        self._messages = messages
        self._on_error = on_error
        self._writer = writer or shared_writer()
        self._cond = threading.Condition()
        self._pending: dict[str, _Pending] = {}  # insertion order: oldest request first
        self._writing = 0
        self._closed = False

    def save(self, message_id: str, values: dict) -> Future[None]:
        """Queue `values` for the draft; the Future resolves once they (or newer) are committed."""
        future: Future[None] = Future()
        # Running from the start: a save cannot be cancelled, so it cannot be lost that way.
        future.set_running_or_notify_cancel()
        snapshot = copy.deepcopy(values)  # the form keeps editing its own dict
        with self._cond:
            if self._closed:
                raise RuntimeError("The autosaver is closed; the draft was not saved.")
            pending = self._pending.get(message_id)
            if pending is None:
                self._pending[message_id] = _Pending(snapshot, [future])
            else:
                pending.values = snapshot
                pending.futures.append(future)
                return future  # its write job is queued already and takes the newest values
        self._writer.submit(lambda: self._write_pending(message_id))
        return future

    def flush(self, timeout: float | None = 5) -> None:
        """Wait until every save requested so far is committed or has failed.

        Raises TimeoutError if that takes longer than `timeout` seconds. On the writer's own
        thread (a UI job such as submit) the pending saves are written right here.
        """
        if self._writer.on_thread():
            while True:
                with self._cond:
                    message_id = next(iter(self._pending), None)
                if message_id is None:
                    return
                self._write_pending(message_id)
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._pending or self._writing:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError("Drafts are still being saved; try again in a moment.")
                self._cond.wait(remaining)

    def close(self, timeout: float | None = 5) -> None:
        """Flush; later saves raise RuntimeError."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self.flush(timeout)

    def _write_pending(self, message_id: str) -> None:
        """The write job: the newest values waiting for the draft (none: written already)."""
        with self._cond:
            pending = self._pending.pop(message_id, None)
            if pending is None:
                return
            self._writing += 1
        try:
            self._write(message_id, pending)
        finally:
            with self._cond:
                self._writing -= 1
                self._cond.notify_all()

    def _write(self, message_id: str, pending: _Pending) -> None:
        try:
            self._messages.save_values(message_id, pending.values)
        except BaseException as error:
            for future in pending.futures:
                future.set_exception(error)
            self._report(message_id, error)
        else:
            for future in pending.futures:
                future.set_result(None)

    def _report(self, message_id: str, error: BaseException) -> None:
        if self._on_error is None:
            # Never log the values: they identify a patient.
            log.error("Autosave of draft %s failed: %s", message_id, type(error).__name__)
            return
        try:
            self._on_error(message_id, error)
        except Exception:
            log.exception("The autosave error handler failed")
