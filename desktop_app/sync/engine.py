"""The background sync engine: sends the outbox in batches, then runs the pass's other steps
(desktop_app.sync.steps: reminder answers, reminders, receipts, statistics), off the UI thread.

One daemon thread runs passes. Between passes it waits on an Event, so ``request_sync()`` wakes
it at once and ``stop()`` ends it promptly. A pass claims up to ``batch_size`` queued messages,
sends them in one request and settles every answer in one cache transaction, until nothing is
queued. A message leaves the outbox only when its receipt is checked and stored
(desktop_app.sync.outcomes); the steps run one after the other, each failing on its own
(desktop_app.sync.step_runner). It reports through the EventBus (``SyncStatusChanged``,
``OutboxChanged``, ``MessageStateChanged``, ...; desktop_app.sync.engine_reporting) and never
logs bodies, identity numbers, passwords or tokens (only message ids and our own sentences).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Protocol

from desktop_app.config import MAX_SYNC_BATCH_SIZE
from desktop_app.events import EventBus
from desktop_app.sync.api_client import ApiClient, ApiError, AuthError, NetworkError, ServerError
from desktop_app.sync.backoff import Backoff
from desktop_app.sync.engine_reporting import (
    CONNECTED,
    MAX_RETRY_AFTER_S,
    TOKEN_REJECTED,
    EngineReporting,
    now_utc,
)
from desktop_app.sync.outcomes import ReceiptChecker
from desktop_app.sync.status import SyncStatus
from desktop_app.sync.step_runner import run_steps
from desktop_app.sync.steps import Step, StepContext, default_steps
from local_cache import (
    Outcome,
    OutgoingMessage,
    Quarantine,
    Receipt,
    RetryLater,
    ReturnToDraft,
)

log = logging.getLogger(__name__)

__all__ = ["MAX_RETRY_AFTER_S", "NOT_STORED", "SyncEngine"]

NOT_SIGNED_IN = "You are not signed in to the registry server."
UNEXPECTED = "The sync pass failed unexpectedly; it will be retried."
NOT_SENT = "The message could not be sent; it will be retried."
NOT_STORED = (
    "The registry server's answer for this message could not be stored; it will be sent again."
)

_STATE_OF: dict[type, str] = {
    Receipt: "receipted",
    ReturnToDraft: "draft",
    Quarantine: "rejected",
    RetryLater: "queued",
}


class _SessionLike(Protocol):
    username: str

    def token(self) -> str | None: ...


class _StopPass(Exception):
    """Ends the current pass; ``delay`` is how long to wait before the next one (None: wait)."""

    def __init__(self, delay: float | None) -> None:
        self.delay = delay


class SyncEngine(EngineReporting):
    def __init__(
        self,
        cache: Any,
        api: ApiClient,
        session: _SessionLike,
        events: EventBus,
        *,
        interval_s: float = 30.0,
        retry_s: float = 5.0,
        max_backoff_s: float = 300.0,
        batch_size: int = 100,
        rng: random.Random | None = None,
        steps: Sequence[Step] | None = None,
        receipt_verdict: Callable[[Mapping[str, Any]], str | None] | None = None,
    ) -> None:
        self.cache = cache
        self.api = api
        self.session = session
        self.events = events
        self.interval_s = interval_s
        self.retry_s = retry_s
        # The server refuses larger batches as a whole; more would quarantine good messages.
        self.batch_size = max(1, min(int(batch_size), MAX_SYNC_BATCH_SIZE))
        self._backoff = Backoff(retry_s, max(retry_s, max_backoff_s), rng=rng)
        self._status = SyncStatus()
        self._status_lock = threading.Lock()
        # Monotonic twin of status.server_wait_until: the server's Retry-After deadline.
        self._server_deadline: float | None = None
        self._wake = threading.Event()
        self._cancel = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.steps = list(default_steps() if steps is None else steps)
        # Every receipt answering our messages is checked before it takes one out of the
        # outbox (desktop_app.sync.outcomes); `receipt_verdict` replaces the default check
        # against the shipped keys and those fetched from this session's server.
        self._receipts = ReceiptChecker(
            cache, api, getattr(session, "server_url", ""), receipt_verdict
        )

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
        """Run a pass now (after Submit, or "Send now"), skipping our own backoff; the server's
        Retry-After still holds: the pass starts when it has run out."""
        self._wake.set()

    def cancel(self) -> None:
        """End the running pass after the request in flight (its answers are recorded); the
        messages not sent yet stay queued. The engine then waits for the interval or a wake."""
        self._wake.clear()
        self._cancel.set()

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
            self._wait_for_server()
            if self._stopping.is_set():
                break
            # Cleared before the pass: a request during the pass triggers one more pass.
            self._wake.clear()
            delay = self._pass()

    def _wait_for_server(self) -> None:
        """Nothing is sent before the server's Retry-After deadline, even after a wake."""
        while not self._stopping.is_set() and self._server_deadline is not None:
            remaining = self._server_deadline - time.monotonic()
            if remaining <= 0:
                break
            self._stopping.wait(remaining)

    def _pass(self) -> float | None:
        """One pass; returns the delay before the next one (None: only when woken)."""
        self._cancel.clear()
        try:
            token = self.session.token()
            if token is None:
                self._sign_in_required(NOT_SIGNED_IN)
                return self._waiting(None)
            self._begin_pass()
            self._receipts.new_pass()
            if not self._send_outbox(token):
                log.info("Sync pass cancelled")
                return self._waiting(self.interval_s)
            self._run_steps(token)
        except _StopPass as stop:
            return self._waiting(stop.delay)
        except Exception:
            # A bug must not kill the thread; the outbox stays durable in SQLite.
            log.exception("Sync pass failed unexpectedly")
            self._error(UNEXPECTED)
            return self._waiting(self._backoff.next_delay())
        self._backoff.reset()
        now = now_utc()
        self._set_status(
            syncing=False,
            last_error=None,
            last_error_at=None,
            last_success_at=now,
            next_attempt_at=now + timedelta(seconds=self.interval_s),
        )
        return self.interval_s

    def _begin_pass(self) -> None:
        changes: dict[str, Any] = {"syncing": True, "done": 0, "next_attempt_at": None}
        if self._server_deadline is not None and self._server_deadline <= time.monotonic():
            self._server_deadline = None
            changes["server_wait_until"] = None
        changes["total"] = self.cache.messages.count_unsent(self.owner)
        self._set_status(**changes)

    def _waiting(self, delay: float | None) -> float | None:
        next_at = None if delay is None else now_utc() + timedelta(seconds=delay)
        self._set_status(syncing=False, next_attempt_at=next_at)
        return delay

    def _send_outbox(self, token: str) -> bool:
        """Send batch after batch until nothing is queued; False when cancelled or stopping."""
        while True:
            if self._cancel.is_set() or self._stopping.is_set():
                return False
            claimed = self.cache.messages.claim_outgoing(self.owner, self.batch_size)
            if not claimed:
                return True
            self._states_changed([(m.id, "sending") for m in claimed])
            self._send_batch(token, claimed)

    def _send_batch(self, token: str, claimed: Sequence[OutgoingMessage]) -> None:
        if self._cancel.is_set() or self._stopping.is_set():
            self._release(claimed)
            return
        try:
            results = self.api.submit_batch(token, [(m.idempotency_key, m.body) for m in claimed])
        except AuthError as exc:
            self._release(claimed)  # not an attempt: nothing was looked at by the server
            self._sign_in_required(TOKEN_REJECTED)
            raise _StopPass(None) from exc
        except (NetworkError, ServerError) as exc:
            delay = self._failure_delay(exc)
            self._settle([RetryLater(m.id, exc.message) for m in claimed])
            raise _StopPass(delay) from exc
        except ApiError as exc:
            if exc.status == 413 and len(claimed) > 1:
                # Too large as a whole (a proxy's limit, or very large messages): halve it.
                self._send_halves(token, claimed)
            else:
                self._refused_whole(claimed, exc)
            return
        except Exception:
            self._settle([RetryLater(m.id, NOT_SENT) for m in claimed])
            raise
        self._set_online(True, CONNECTED)
        outcomes = [self._receipts.outcome(m, r) for m, r in zip(claimed, results, strict=True)]
        if not self._settle(outcomes):
            self._error(NOT_STORED)
            raise _StopPass(self._backoff.next_delay())

    def _send_halves(self, token: str, claimed: Sequence[OutgoingMessage]) -> None:
        half = len(claimed) // 2
        try:
            self._send_batch(token, claimed[:half])
        except BaseException:
            self._release(claimed[half:])
            raise
        self._send_batch(token, claimed[half:])

    def _refused_whole(self, claimed: Sequence[OutgoingMessage], exc: ApiError) -> None:
        """A 4xx for the whole request: sending the same again would be refused again."""
        self._set_online(True, CONNECTED)
        if exc.status == 413:  # a single message too large even alone: its author must act
            self._settle([ReturnToDraft(m.id, [], exc.message) for m in claimed])
            return
        log.warning("The server refused a whole batch (HTTP %s); quarantined", exc.status)
        self._settle([Quarantine(m.id, exc.message) for m in claimed])
        self._error(exc.message)
        # The next batch would most likely meet the same refusal: stop and back off.
        raise _StopPass(self._backoff.next_delay())

    def _run_steps(self, token: str) -> None:
        context = StepContext(
            api=self.api,
            token=token,
            owner=self.owner,
            session=self.session,
            cache=self.cache,
            events=self.events,
        )
        try:
            # A step failing otherwise (a refusal, a malformed answer) is logged; the rest run.
            run_steps(self.steps, context, self._stopping.is_set)
        except AuthError as exc:
            self._sign_in_required(TOKEN_REJECTED)
            raise _StopPass(None) from exc
        except (NetworkError, ServerError) as exc:
            raise _StopPass(self._failure_delay(exc)) from exc
        # Only now: a step may make no request at all (nothing to send), which proves nothing
        # about the connection; every pass's steps include at least one request.
        self._set_online(True, CONNECTED)

    # -- recording ------------------------------------------------------------------------

    def _settle(self, outcomes: list[Outcome]) -> bool:
        """Record a batch's outcomes in one transaction and tell the UI; False when some
        answers could not be stored (those messages are queued again or left `sending`)."""
        stored = True
        try:
            self.cache.messages.record_outcomes(outcomes)
        except Exception:
            log.exception("Could not record a batch's outcomes; recording them one by one")
            outcomes = [self._record_alone(o) for o in outcomes]
            stored = not any(isinstance(o, RetryLater) for o in outcomes)
        self._states_changed([(o.message_id, _STATE_OF[type(o)]) for o in outcomes])
        counts: dict[str, int] = {}
        for outcome in outcomes:
            state = _STATE_OF[type(outcome)]
            counts[state] = counts.get(state, 0) + 1
            log.debug("Message %s -> %s", outcome.message_id, state)
        log.info("Batch of %d settled: %s", len(outcomes), counts)
        unsent = self._outbox_changed()
        done = self._status.done + sum(not isinstance(o, RetryLater) for o in outcomes)
        self._set_status(done=done, total=done + unsent)
        return stored

    def _record_alone(self, outcome: Outcome) -> Outcome:
        try:
            self.cache.messages.record_outcomes([outcome])
            return outcome
        except Exception:
            log.exception("Could not record the outcome for message %s", outcome.message_id)
        retry = RetryLater(outcome.message_id, NOT_STORED)
        self.cache.messages.record_outcomes([retry])  # if even this fails: queued at restart
        return retry

    def _release(self, claimed: Sequence[OutgoingMessage]) -> None:
        if not claimed:
            return
        self.cache.messages.release_claims([m.id for m in claimed])
        self._states_changed([(m.id, "queued") for m in claimed])
        self._outbox_changed()
