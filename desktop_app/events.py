"""Plain events the core publishes; ``ui.bridge`` re-emits them as Qt signals on the GUI thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from desktop_app.sync.status import SyncStatus

log = logging.getLogger(__name__)

Subscriber = Callable[[object], None]


@dataclass(frozen=True)
class ConnectivityChanged:
    online: bool
    detail: str


@dataclass(frozen=True)
class OutboxChanged:
    unsent: int


@dataclass(frozen=True)
class MessageStateChanged:
    message_id: str
    state: str


@dataclass(frozen=True)
class RemindersUpdated:
    fetched_at: datetime


@dataclass(frozen=True)
class ReceiptsUpdated:
    added: int  # receipts fetched from the server that this computer did not have


@dataclass(frozen=True)
class StatisticsUpdated:
    as_of: str | None  # the day the registry computed them for (YYYY-MM-DD)


@dataclass(frozen=True)
class SyncStatusChanged:
    status: SyncStatus


@dataclass(frozen=True)
class SignInRequired:
    detail: str  # the token was rejected (401) or is missing


class EventBus:
    """Thread-safe publish/subscribe. Subscribers run on the publishing thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[Subscriber] = []

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Register ``callback``; the returned function unsubscribes it."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, event: object) -> None:
        # Copy under the lock, call outside it: a subscriber may (un)subscribe or publish.
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:
                # One broken listener must not stop the others or the sync thread.
                log.exception("Event subscriber failed on %s", type(event).__name__)
