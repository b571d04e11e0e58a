"""Outbox: the sync panel. What the sync is doing, and every submitted report not yet received
by the registry, with what happened to it and what the user can do about it.

The page listens to the core through the EventBridge: the engine's snapshot
(``syncStatusChanged``) updates the header at once; message and outbox events only schedule a
reload, which ``ModelReloader`` coalesces and runs on the cache worker. Actions that write to the
cache (Retry, Return to draft) run there too; Send now and Cancel only wake or stop
the engine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QAbstractItemView, QWidget

from desktop_app.sync.status import SyncStatus
from local_cache import CacheError, MessageRecord, MessageState
from ui.bridge import EventBridge
from ui.models.messages_model import OutboxModel, OutboxSummary
from ui.models.reloader import ModelReloader
from ui.models.table_model import ROW_ROLE
from ui.views.common import ListPage
from ui.views.sync_panel import SyncHeader, sync_view
from ui.workers import run_on_cache

log = logging.getLogger(__name__)

RELOAD_DELAY_MS = 150  # events within this window become one reload
AGE_REFRESH_MS = 30_000  # waiting times are words to the minute: a tick every half minute


class SyncControls(Protocol):
    """What the page asks of the sync (``desktop_app.user_session.UserSession`` provides it)."""

    def send_now(self) -> None: ...
    def retry(self, message_ids: Iterable[str]) -> int: ...
    def cancel_sync(self) -> None: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OutboxView(ListPage):
    openDraftRequested = Signal(str)  # message id: a refused report returned to draft
    retried = Signal(int)  # how many refused reports went back to the queue
    outboxSummaryChanged = Signal(int, int, bool)  # unsent, refused, oldest waiting too long

    def __init__(
        self,
        model: OutboxModel,
        controls: SyncControls,
        bridge: EventBridge,
        *,
        age_warning_minutes: int = 60,
        progress_min_total: int = 100,
        reload_delay_ms: int = RELOAD_DELAY_MS,
        clock: Callable[[], datetime] = _utc_now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            model,
            table_name="outboxTable",
            sort_column=OutboxModel.COL_QUEUED,
            order=Qt.SortOrder.AscendingOrder,
            parent=parent,
        )
        self.model: OutboxModel = model
        self.controls = controls
        self.clock = clock  # a test may move time on
        self.age_warning = timedelta(minutes=age_warning_minutes)
        model.age_warning = self.age_warning
        self.progress_min_total = progress_min_total
        self.sync_status = SyncStatus()
        self.sign_in_needed = False
        self._sign_in_needed_at: datetime | None = None
        self._cancelling = False
        self._kept_selection: list[str] = []
        self._last_summary: tuple[int, int, bool] | None = None

        self.title_label.setText(self.tr("Outbox"))
        self.header = SyncHeader()
        self.add_above_summary(self.header)
        self._layout.setStretchFactor(self.table, 1)
        self.header.send_button.clicked.connect(self.send_now)
        self.header.cancel_button.clicked.connect(self.cancel)
        self.retry_button = self.add_button(self.tr("&Retry"), self.retry_selected)
        self.retry_button.setObjectName("retryButton")
        self.retry_button.setToolTip(self.tr("Send the selected refused reports again, unchanged."))
        self.return_button = self.add_button(self.tr("Return to &draft"), self.return_to_draft)
        self.return_button.setObjectName("returnToDraftButton")
        self.return_button.setToolTip(
            self.tr("Take the selected refused report out of the outbox to change it.")
        )

        # Several refused reports can be retried at once.
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        # Background reloads change rows in place (the selection stays); a direct refresh
        # resets the model, so the selection is put back by hand.
        model.modelAboutToBeReset.connect(self._keep_selection)
        model.modelReset.connect(self._after_reset)

        self.reloader = ModelReloader(model, reload_delay_ms, self, apply=model.update_rows)
        self.reloader.loaded.connect(self._after_load)
        bridge.syncStatusChanged.connect(self.set_status)
        bridge.signInRequired.connect(self.set_sign_in_required)
        bridge.messageStateChanged.connect(self.reloader.schedule)
        bridge.outboxChanged.connect(self.reloader.schedule)

        self.age_timer = QTimer(self)
        self.age_timer.setInterval(AGE_REFRESH_MS)
        self.age_timer.timeout.connect(self._tick)
        self.age_timer.start()
        self._update_state()

    # -- what the core tells us -----------------------------------------------------------

    @Slot(object)
    def set_status(self, status: SyncStatus) -> None:
        self.sync_status = status
        if not status.syncing:
            self._cancelling = False
        if (
            self.sign_in_needed
            and status.last_success_at is not None
            and self._sign_in_needed_at is not None
            and status.last_success_at > self._sign_in_needed_at
        ):
            self.sign_in_needed = False  # a pass has reached the server since
        self._update_state()

    @Slot(str)
    def set_sign_in_required(self, _detail: str = "") -> None:
        self.set_sign_in_needed(True)

    def set_sign_in_needed(self, needed: bool) -> None:
        """Nothing can be sent until the user signs in (again): say so instead of a state."""
        self.sign_in_needed = needed
        self._sign_in_needed_at = self.clock() if needed else None
        self._update_state()

    def refresh(self) -> None:
        """The page is shown: the notice is old news; the rows are read in the background."""
        self.notice.hide()
        self.reloader.reload_now()

    def is_overdue(self, now: datetime | None = None) -> bool:
        """The oldest unsent report has waited longer than the warning age."""
        return self._overdue(self.model.summary(), now or self.clock())

    def _overdue(self, summary: OutboxSummary, now: datetime) -> bool:
        oldest = summary.oldest_unsent_queued_at
        return oldest is not None and now - oldest > self.age_warning

    # -- the user's actions ---------------------------------------------------------------

    @Slot()
    def send_now(self) -> None:
        self.controls.send_now()  # only wakes the engine: nothing here waits

    @Slot()
    def cancel(self) -> None:
        self._cancelling = True
        self.controls.cancel_sync()
        self.show_notice(
            self.tr(
                "Stopping after the reports being sent now. The others stay in the outbox and "
                "are sent at the next attempt or when you choose Send now."
            )
        )
        self._update_state()

    @Slot()
    def retry_selected(self) -> None:
        ids = [r.id for r in self.selected_records() if _retryable(r)]
        if not ids:
            return
        self.retry_button.setEnabled(False)
        controls = self.controls
        # A write that may wait for the sync engine's transaction: not on the GUI thread.
        run_on_cache(
            lambda: controls.retry(ids), self._retried, self._action_failed, parent=self
        )

    @Slot()
    def return_to_draft(self) -> None:
        selected = [r for r in self.selected_records() if r.state == MessageState.REJECTED]
        if len(selected) != 1:
            return
        message_id = selected[0].id
        self.return_button.setEnabled(False)
        model = self.model
        run_on_cache(
            lambda: model.return_to_draft(message_id),
            lambda _record: self._returned(message_id),
            self._action_failed,
            parent=self,
        )

    def selected_records(self) -> list[MessageRecord]:
        rows = self.table.selectionModel().selectedRows()
        return [self.table.proxy.data(index, ROW_ROLE) for index in rows]

    def _retried(self, moved: int) -> None:
        self.reloader.reload_now()
        if moved:  # the others were waiting to retry anyway: the engine has been woken
            self.show_notice(
                self.tr(
                    "%n refused report(s) put back in the outbox to be sent again unchanged.",
                    "",
                    moved,
                )
            )
        self.retried.emit(moved)

    def _returned(self, message_id: str) -> None:
        self.reloader.reload_now()
        self.openDraftRequested.emit(message_id)

    def _action_failed(self, error: BaseException) -> None:
        log.warning("Outbox action failed: %s", type(error).__name__)
        self.reloader.reload_now()  # the list shows what the report's state really is now
        if isinstance(error, CacheError):  # its text is a sentence for the user
            self.show_notice(str(error))
        else:
            self.show_notice(
                self.tr(
                    "The report could not be changed on this computer. Try again; if it keeps "
                    "failing, restart the application."
                )
            )
        self._update_state()

    # -- showing ---------------------------------------------------------------------------

    def _tick(self) -> None:
        now = self.clock()
        self.model.set_now(now)
        summary = self.model.summary()
        self._show_header(now, summary)
        self._announce_summary(now, summary)

    def _announce_summary(self, now: datetime, counts: OutboxSummary) -> None:
        summary = (counts.unsent, counts.quarantined, self._overdue(counts, now))
        if summary != self._last_summary:
            self._last_summary = summary
            self.outboxSummaryChanged.emit(*summary)

    def _update_state(self, *_args: object) -> None:
        summary = self.model.summary()
        self._show_header(self.clock(), summary)
        self._update_summary(summary)
        self._update_buttons()

    def _show_header(self, now: datetime, summary: OutboxSummary) -> None:
        self.header.show_view(
            sync_view(
                self.sync_status,
                summary,
                sign_in_needed=self.sign_in_needed,
                now=now,
                age_warning=self.age_warning,
                progress_min_total=self.progress_min_total,
            )
        )

    def _update_summary(self, summary: OutboxSummary) -> None:
        refused = summary.quarantined
        if not self.model.rowCount():
            text = self.tr("Nothing waiting. Every submitted report has reached the registry.")
        elif refused:
            text = self.tr(
                "%n report(s) refused by the registry and on hold: select one, then Retry to "
                "send it unchanged or Return to draft to change it.",
                "",
                refused,
            )
        else:
            text = self.tr(
                "Reports are kept on this computer until the registry has received them."
            )
        self.summary.setText(text)

    def _update_buttons(self) -> None:
        status = self.sync_status
        selected = self.selected_records()
        refused = [r for r in selected if r.state == MessageState.REJECTED]
        self.header.send_button.setEnabled(not self.sign_in_needed and not status.syncing)
        self.header.cancel_button.setEnabled(status.syncing and not self._cancelling)
        self.retry_button.setEnabled(any(_retryable(r) for r in selected))
        self.return_button.setEnabled(len(selected) == 1 and len(refused) == 1)

    # -- keeping the user's place across reloads --------------------------------------------

    def _keep_selection(self) -> None:
        self._kept_selection = [r.id for r in self.selected_records()]

    def _after_load(self) -> None:
        now = self.clock()
        # Rows are marked against the new time as they are painted; the timer's tick
        # repaints the rest. A dataChanged for every row on every load would cost more.
        self.model.set_now(now, notify=False)
        self._announce_summary(now, self.model.summary())
        self._update_state()

    def _after_reset(self) -> None:
        self._after_load()
        if not self._kept_selection:
            return
        wanted = set(self._kept_selection)
        self._kept_selection = []
        selection = QItemSelection()
        for row, record in enumerate(self.model.rows):
            if record.id in wanted:
                index = self.table.proxy.mapFromSource(self.model.index(row, 0))
                selection.select(index, index)
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.selectionModel().select(selection, flags)


def _retryable(record: MessageRecord) -> bool:
    """Refused reports wait for the user; a failed one waiting to retry can be hurried along."""
    return record.state == MessageState.REJECTED or (
        record.state == MessageState.QUEUED and record.attempts > 0
    )
