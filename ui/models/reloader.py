"""Reloading a table model's rows off the GUI thread, coalesced."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from ui.models.table_model import RowTableModel
from ui.workers import run_on_cache

log = logging.getLogger(__name__)


class ModelReloader(QObject):
    """Reloads a ``RowTableModel`` on the cache worker; the rows are applied on the GUI thread.

    ``schedule()`` may be called for every core event: requests within ``delay_ms`` of the
    first one become one reload (the timer is not restarted, so a steady stream of events
    still reloads every ``delay_ms`` instead of never). One load runs at a time; a request
    during a load starts another after it. A result older than what the model shows (the
    model was refreshed directly meanwhile) is dropped.

    The wait grows with the time a load takes (``LOAD_SHARE``): reading and decoding a
    thousand rows holds the GIL for a good part of it, and the GUI thread needs it too.
    """

    loaded = Signal()  # rows applied

    LOAD_SHARE = 3  # wait at least this many times as long as the last load took
    MAX_DELAY_MS = 2000

    def __init__(
        self,
        model: RowTableModel,
        delay_ms: int = 150,
        parent: QObject | None = None,
        *,
        apply: Callable[[list], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self._apply = apply or model.set_rows  # e.g. OutboxModel.update_rows
        self.delay_ms = delay_ms
        self.loads_started = 0  # for tests and logs: how many loads ran
        self.stale_dropped = 0  # results not applied because the model had newer rows
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._start)
        self._in_flight = False
        self._again = False
        self._started = 0  # sequence number of the last load started
        self._shown = 0  # sequence number the model's rows are as new as
        self._applying = False
        model.modelAboutToBeReset.connect(self._on_model_changed)
        # Rows removed or added directly (a draft deleted) make a load started before stale.
        model.rowsAboutToBeRemoved.connect(self._on_model_changed)
        model.rowsAboutToBeInserted.connect(self._on_model_changed)

    @property
    def busy(self) -> bool:
        """A load is waiting for its timer or running."""
        return self._in_flight or self._timer.isActive()

    def schedule(self) -> None:
        """Reload soon (coalesced with other requests)."""
        if not self._timer.isActive():
            self._timer.start()

    def reload_now(self) -> None:
        """Reload without waiting for the timer (a page shown, the user's own action)."""
        self._timer.stop()
        self._start()

    def _start(self) -> None:
        if self._in_flight:
            self._again = True
            return
        self._in_flight = True
        self._started += 1
        self.loads_started += 1
        number = self._started
        fetch = self.model.fetch

        def timed_fetch() -> tuple[list, float]:
            started = time.perf_counter()
            rows = fetch()
            return rows, time.perf_counter() - started

        run_on_cache(
            timed_fetch,
            lambda result: self._finished(number, *result),
            lambda error: self._failed(number, error),
            parent=self,
        )

    def _finished(self, number: int, rows: list, seconds: float = 0.0) -> None:
        self._in_flight = False
        wait = max(self.delay_ms, int(seconds * 1000 * self.LOAD_SHARE))
        self._timer.setInterval(min(wait, self.MAX_DELAY_MS))
        if number > self._shown:
            self._shown = number
            self._applying = True
            try:
                self._apply(rows)
            finally:
                self._applying = False
            self.loaded.emit()
        else:
            self.stale_dropped += 1
        self._follow_up()

    def _failed(self, number: int, error: BaseException) -> None:
        self._in_flight = False
        # The rows shown stay; the next event or page visit tries again.
        log.warning("Reloading %s failed: %s", type(self.model).__name__, error)
        self._follow_up()

    def _follow_up(self) -> None:
        if self._again:
            self._again = False
            self.schedule()

    def _on_model_changed(self, *_args: object) -> None:
        if not self._applying:
            # Changed directly on the GUI thread: a load started before is older now.
            self._shown = self._started
