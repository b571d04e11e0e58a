"""Core events -> Qt signals on the GUI thread (the only place the UI listens to the EventBus)."""

from __future__ import annotations

import contextlib
import logging

from PySide6.QtCore import QObject, Qt, Signal, Slot

from desktop_app.events import (
    ConnectivityChanged,
    EventBus,
    MessageStateChanged,
    OutboxChanged,
    ReceiptsUpdated,
    RemindersUpdated,
    SignInRequired,
    StatisticsUpdated,
    SyncStatusChanged,
)

log = logging.getLogger(__name__)


class EventBridge(QObject):
    """Subscribes to the bus and re-emits each event as a typed signal.

    Core events arrive on whatever thread published them (usually the sync thread). They are
    handed to the GUI thread through a queued connection first, so every public signal is
    emitted on the GUI thread and any slot or lambda connected to it may touch widgets.
    """

    connectivityChanged = Signal(bool, str)  # online, detail (the reason when offline)
    outboxChanged = Signal(int)  # unsent count
    messageStateChanged = Signal(str, str)  # message id, new state
    remindersUpdated = Signal()
    receiptsUpdated = Signal(int)  # receipts fetched that this computer did not have
    statisticsUpdated = Signal(str)  # as of (YYYY-MM-DD; "" when unknown)
    signInRequired = Signal(str)  # detail
    syncStatusChanged = Signal(object)  # desktop_app.sync.status.SyncStatus (immutable snapshot)

    _received = Signal(object)

    def __init__(self, events: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._received.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)
        unsubscribe = events.subscribe(self._on_event)
        self._unsubscribe = unsubscribe
        self.destroyed.connect(lambda *_: unsubscribe())

    def close(self) -> None:
        """Stop listening (the bus may outlive this bridge, e.g. after sign-out)."""
        self._unsubscribe()

    def _on_event(self, event: object) -> None:
        # Called on the publishing thread: do nothing here but hand over.
        # RuntimeError: the bridge's C++ object is gone; the window it served has closed.
        with contextlib.suppress(RuntimeError):
            self._received.emit(event)

    @Slot(object)
    def _dispatch(self, event: object) -> None:
        match event:
            case ConnectivityChanged(online=online, detail=detail):
                self.connectivityChanged.emit(online, detail)
            case OutboxChanged(unsent=unsent):
                self.outboxChanged.emit(unsent)
            case MessageStateChanged(message_id=message_id, state=state):
                self.messageStateChanged.emit(message_id, str(state))
            case RemindersUpdated():
                self.remindersUpdated.emit()
            case ReceiptsUpdated(added=added):
                self.receiptsUpdated.emit(added)
            case StatisticsUpdated(as_of=as_of):
                self.statisticsUpdated.emit(as_of or "")
            case SignInRequired(detail=detail):
                self.signInRequired.emit(detail)
            case SyncStatusChanged(status=status):
                self.syncStatusChanged.emit(status)
            case _:
                log.debug("Ignoring unknown event %s", type(event).__name__)
