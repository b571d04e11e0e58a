"""How the sync engine reports: its status snapshot (SyncStatus) and the events it publishes
(``SyncStatusChanged``, ``ConnectivityChanged``, ``SignInRequired``, ``MessageStateChanged``,
``OutboxChanged``), and the backoff after a failure (never shorter than the server's
Retry-After). A base of ``desktop_app.sync.engine.SyncEngine``, which owns the attributes used
here."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from desktop_app.events import (
    ConnectivityChanged,
    EventBus,
    MessageStateChanged,
    OutboxChanged,
    SignInRequired,
    SyncStatusChanged,
)
from desktop_app.sync.api_client import ApiError
from desktop_app.sync.backoff import Backoff
from desktop_app.sync.status import SyncStatus

log = logging.getLogger("desktop_app.sync.engine")

# Never wait longer than this even if the server's Retry-After asks for more.
MAX_RETRY_AFTER_S = 600.0

CONNECTED = "Connected to the registry server."
SIGN_IN_AGAIN = "Sign in again to send your messages; they are kept until then."
TOKEN_REJECTED = "The registry server did not accept your sign-in (it may have expired)."


class EngineReporting:
    cache: Any
    events: EventBus
    _backoff: Backoff
    _status: SyncStatus
    _status_lock: threading.Lock
    _server_deadline: float | None

    @property
    def owner(self) -> str:
        raise NotImplementedError

    @property
    def status(self) -> SyncStatus:
        """The latest snapshot (immutable; safe to read from any thread)."""
        return self._status

    @property
    def online(self) -> bool | None:
        return self._status.online

    @property
    def last_error(self) -> str | None:
        return self._status.last_error

    def _failure_delay(self, exc: ApiError) -> float:
        """Back off after a failure, never less than the server's Retry-After (capped)."""
        now = now_utc()
        delay = self._backoff.next_delay()
        changes: dict[str, Any] = {"last_error": exc.message, "last_error_at": now}
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            wait = min(max(float(retry_after), 0.0), MAX_RETRY_AFTER_S)
            self._server_deadline = time.monotonic() + wait
            changes["server_wait_until"] = now + timedelta(seconds=wait)
            delay = max(delay, wait)
        self._set_online(False, exc.message)
        self._set_status(**changes)
        log.info("Sync paused for %.1f s: %s", delay, exc.message)
        return delay

    def _error(self, message: str) -> None:
        self._set_status(last_error=message, last_error_at=now_utc())

    def _sign_in_required(self, reason: str) -> None:
        if reason == TOKEN_REJECTED:  # the server answered, so it is reachable
            self._set_online(True, CONNECTED)
        detail = f"{reason} {SIGN_IN_AGAIN}"
        self._error(detail)
        log.info("Sync stopped until the user signs in again")
        self.events.publish(SignInRequired(detail=detail))

    def _set_online(self, online: bool, detail: str) -> None:
        if self._status.online is online:
            return
        self._set_status(online=online)
        self.events.publish(ConnectivityChanged(online=online, detail=detail))

    def _set_status(self, **changes: Any) -> None:
        with self._status_lock:
            status = dataclasses.replace(self._status, **changes)
            if status == self._status:
                return
            self._status = status
        self.events.publish(SyncStatusChanged(status=status))

    def _states_changed(self, states: list[tuple[str, str]]) -> None:
        publish = self.events.publish
        for message_id, state in states:
            publish(MessageStateChanged(message_id=message_id, state=state))

    def _outbox_changed(self) -> int:
        unsent = self.cache.messages.count_unsent(self.owner)
        self.events.publish(OutboxChanged(unsent=unsent))
        return unsent


def now_utc() -> datetime:
    return datetime.now(UTC)
