"""The background sync engine: sends the outbox and refreshes reminders, off the UI thread.

One daemon thread runs passes. Between passes it waits on an Event, so ``request_sync()`` wakes
it at once and ``stop()`` ends it promptly. It reports only through the EventBus and never logs
bodies, identity numbers, passwords or tokens (only message ids and our own sentences).
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from desktop_app.events import (
    ConnectivityChanged,
    EventBus,
    MessageStateChanged,
    OutboxChanged,
    RemindersUpdated,
    SignInRequired,
)
from desktop_app.sync.api_client import (
    ApiClient,
    ApiError,
    AuthError,
    Conflict,
    Invalid,
    NetworkError,
    Receipted,
    ServerError,
)
from desktop_app.sync.backoff import Backoff

log = logging.getLogger(__name__)

# Client errors that concern the message itself: it goes back to the author as a draft.
_RETURN_TO_DRAFT_STATUSES = {400, 413}
# Never wait longer than this even if the server's Retry-After asks for more.
_MAX_RETRY_AFTER_S = 600.0

SIGN_IN_AGAIN = "Sign in again to send your messages; they are kept until then."
NOT_SIGNED_IN = "You are not signed in to the registry server."
TOKEN_REJECTED = "The registry server did not accept your sign-in (it may have expired)."


class _SessionLike(Protocol):
    username: str

    def token(self) -> str | None: ...


class _StopPass(Exception):
    """Ends the current pass; ``delay`` is how long to wait before the next one (None: wait)."""

    def __init__(self, delay: float | None) -> None:
        self.delay = delay


class SyncEngine:
    def __init__(
        self,
        cache: Any,
        api: ApiClient,
        session: _SessionLike,
        events: EventBus,
        *,
        interval_s: float = 30.0,
        retry_s: float = 5.0,
    ) -> None:
        self.cache = cache
        self.api = api
        self.session = session
        self.events = events
        self.interval_s = interval_s
        self.retry_s = retry_s
        self.online: bool | None = None
        self.last_error: str | None = None
        self._backoff = Backoff(retry_s, max(retry_s, interval_s))
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def owner(self) -> str:
        return self.session.username

    # -- control --------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("The sync engine is already started.")
        self._thread = threading.Thread(target=self._run, name="sync-engine", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def request_sync(self) -> None:
        """Run a pass now (e.g. after Submit, or when the user presses "Send now")."""
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- the loop -------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            # Messages left "sending" by a crash go back to the queue; their keys are kept,
            # so the server deduplicates any that it did receive.
            self.cache.messages.reset_interrupted()
            self._outbox_changed()
        except Exception:
            log.exception("Sync engine could not prepare the outbox")
        delay: float | None = 0.0
        while not self._stopping.is_set():
            if delay is None:
                self._wake.wait()
            elif delay > 0:
                self._wake.wait(delay)
            if self._stopping.is_set():
                break
            # Cleared before the pass: a request during the pass triggers one more pass.
            self._wake.clear()
            delay = self._pass()

    def _pass(self) -> float | None:
        """One pass; returns the delay before the next one (None: only when woken)."""
        try:
            token = self.session.token()
            if token is None:
                self._sign_in_required(NOT_SIGNED_IN)
                return None
            self._send_outbox(token)
            self._refresh_reminders(token)
        except _StopPass as stop:
            return stop.delay
        except Exception:
            # A bug must not kill the thread; the outbox stays durable in SQLite.
            log.exception("Sync pass failed unexpectedly")
            self.last_error = "The sync pass failed unexpectedly; it will be retried."
            return self._backoff.next_delay()
        self._backoff.reset()
        self.last_error = None
        return self.interval_s

    def _send_outbox(self, token: str) -> None:
        # One message per claim: a pass stopped by a failure never leaves others "sending".
        while not self._stopping.is_set():
            claimed = self.cache.messages.claim_for_sending(self.owner, limit=1)
            if not claimed:
                return
            record = claimed[0]
            self._state_changed(record.id, "sending")
            self._send_one(token, record)

    def _send_one(self, token: str, record: Any) -> None:
        try:
            result = self.api.submit(token, record.body, record.idempotency_key)
        except AuthError as exc:
            self._requeue(record.id, exc.message)
            self._sign_in_required(TOKEN_REJECTED)
            raise _StopPass(None) from exc
        except (NetworkError, ServerError) as exc:
            self._requeue(record.id, exc.message)
            raise _StopPass(self._failure_delay(exc)) from exc
        except ApiError as exc:
            if exc.status in _RETURN_TO_DRAFT_STATUSES:
                self.cache.messages.mark_returned_to_draft(record.id, [], exc.message)
                self._state_changed(record.id, "draft")
                return
            self._requeue(record.id, exc.message)
            raise _StopPass(self._failure_delay(exc)) from exc
        except Exception:
            self._requeue(record.id, "The message could not be sent; it will be retried.")
            raise
        self._set_online(True, "Connected to the registry server.")
        if isinstance(result, Receipted):
            self.cache.messages.mark_receipted(record.id, result.receipt)
            log.info("Message %s receipted (replay=%s)", record.id, result.replay)
            self._state_changed(record.id, "receipted")
        elif isinstance(result, Invalid):
            self.cache.messages.mark_returned_to_draft(record.id, result.issues, result.detail)
            log.info("Message %s returned to draft with %d issue(s)", record.id, len(result.issues))
            self._state_changed(record.id, "draft")
        elif isinstance(result, Conflict):
            self.cache.messages.mark_rejected(record.id, result.detail)
            log.warning("Message %s rejected: idempotency key conflict", record.id)
            self._state_changed(record.id, "rejected")

    def _refresh_reminders(self, token: str) -> None:
        try:
            reminders, fetched_at = self.api.reminders(token)
        except AuthError as exc:
            self._sign_in_required(TOKEN_REJECTED)
            raise _StopPass(None) from exc
        except ApiError as exc:
            raise _StopPass(self._failure_delay(exc)) from exc
        self._set_online(True, "Connected to the registry server.")
        self.cache.reminders.replace_all(self.owner, reminders, fetched_at)
        self.events.publish(RemindersUpdated(fetched_at=fetched_at))

    # -- helpers --------------------------------------------------------------------------

    def _requeue(self, message_id: str, error: str) -> None:
        self.cache.messages.mark_failed_attempt(message_id, error)
        self._state_changed(message_id, "queued")

    def _failure_delay(self, exc: ApiError) -> float:
        self.last_error = exc.message
        self._set_online(False, exc.message)
        delay = self._backoff.next_delay()
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            delay = max(delay, min(retry_after, _MAX_RETRY_AFTER_S))
        log.info("Sync paused for %.1f s: %s", delay, exc.message)
        return delay

    def _sign_in_required(self, reason: str) -> None:
        if reason == TOKEN_REJECTED:  # the server answered, so it is reachable
            self._set_online(True, "Connected to the registry server.")
        self.last_error = f"{reason} {SIGN_IN_AGAIN}"
        log.info("Sync stopped until the user signs in again")
        self.events.publish(SignInRequired(detail=self.last_error))

    def _set_online(self, online: bool, detail: str) -> None:
        if self.online is online:
            return
        self.online = online
        self.events.publish(ConnectivityChanged(online=online, detail=detail))

    def _state_changed(self, message_id: str, state: str) -> None:
        self.events.publish(MessageStateChanged(message_id=message_id, state=state))
        self._outbox_changed()

    def _outbox_changed(self) -> None:
        self.events.publish(OutboxChanged(unsent=self.cache.messages.count_unsent(self.owner)))
