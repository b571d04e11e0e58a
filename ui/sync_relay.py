"""What the sync engine's events mean for the window: the status bar's fields, coalesced
reloads of the lists, and the "sign in again" question."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop_app.sync.status import SyncStatus
from local_cache import MessageState
from ui.bridge import EventBridge
from ui.models.reloader import ModelReloader
from ui.models.reminders_model import RemindersModel
from ui.status_bar import StatusBar


class SyncRelay(QObject):
    signOutRequested = Signal()

    def __init__(
        self,
        bridge: EventBridge,
        status: StatusBar,
        *,
        drafts_reload: ModelReloader,
        receipts_reload: ModelReloader,
        reminders_model: RemindersModel,
        offline_session: bool,
        window: QWidget,
    ) -> None:
        super().__init__(window)
        self.status = status
        self.drafts_reload = drafts_reload
        self.receipts_reload = receipts_reload
        self.reminders_model = reminders_model
        self._offline_session = offline_session
        self._window = window
        self._sign_in_prompted = False
        self.last_sync: datetime | None = None
        bridge.connectivityChanged.connect(self._on_connectivity)
        bridge.outboxChanged.connect(self._on_outbox_changed)
        bridge.messageStateChanged.connect(self._on_message_state)
        bridge.remindersUpdated.connect(self._on_reminders_updated)
        reminders_model.loaded.connect(self._on_reminders_loaded)
        bridge.receiptsUpdated.connect(lambda _added: self.receipts_reload.schedule())
        bridge.signInRequired.connect(self._on_sign_in_required)
        bridge.syncStatusChanged.connect(self._on_sync_status)

    @Slot(bool, str)
    def _on_connectivity(self, online: bool, detail: str) -> None:
        self.status.set_connectivity(online, detail)
        if online:
            self.mark_synced()

    @Slot(int)
    def _on_outbox_changed(self, unsent: int) -> None:
        self.status.set_unsent(unsent)  # the outbox page reloads itself on the same event

    @Slot(str, str)
    def _on_message_state(self, _message_id: str, state: str) -> None:
        # Called once per message of a batch: only schedule (coalesced) reloads here; a
        # hidden page reloads when it is shown.
        if state in (MessageState.DRAFT, MessageState.REJECTED):
            self.drafts_reload.schedule()
        if state == MessageState.RECEIPTED:
            self.receipts_reload.schedule()

    @Slot(object)
    def _on_sync_status(self, status: SyncStatus) -> None:
        if status.last_success_at is not None and (
            self.last_sync is None or status.last_success_at > self.last_sync
        ):
            self.mark_synced(status.last_success_at)

    @Slot()
    def _on_reminders_updated(self) -> None:
        self.reminders_model.refresh()  # in the background; then _on_reminders_loaded

    @Slot()
    def _on_reminders_loaded(self) -> None:
        fetched_at = self.reminders_model.fetched_at
        if fetched_at is not None and (self.last_sync is None or fetched_at > self.last_sync):
            self.mark_synced(fetched_at)

    def mark_synced(self, when: datetime | None = None) -> None:
        self.last_sync = when or datetime.now(UTC)
        self.status.set_last_sync(self.last_sync)

    @Slot(str)
    def _on_sign_in_required(self, detail: str) -> None:
        self.status.set_connectivity(False, detail)
        # An offline sign-in has no token to send with: the status bar says why, no dialog.
        if self._sign_in_prompted or self._offline_session:
            return
        self._sign_in_prompted = True
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            self.tr("Sign in again"),
            detail + "\n\n" + self.tr("Sign out and sign in again to send your reports."),
            QMessageBox.StandardButton.NoButton,
            self._window,
        )
        box.setObjectName("signInRequiredBox")
        sign_out = box.addButton(self.tr("Sign out now"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("Later"), QMessageBox.ButtonRole.RejectRole)
        box.buttonClicked.connect(
            lambda button: self.signOutRequested.emit() if button is sign_out else None
        )
        box.open()
