"""The sync engine's rules, against a scripted ApiClient and a real cache file.

What the server answers is scripted here so the engine's own arithmetic and bookkeeping can be
checked exactly: Retry-After, backoff, whole-request refusals, splitting, cancel, progress and
what happens when an answer cannot be stored. The same behaviours against the real server are in
test_sync_engine.py.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop_app.events import (
    EventBus,
    MessageStateChanged,
    OutboxChanged,
    SignInRequired,
    SyncStatusChanged,
)
from desktop_app.sync.api_client import (
    ApiClient,
    ApiError,
    AuthError,
    Conflict,
    Invalid,
    ItemResult,
    NetworkError,
    Receipted,
    Refused,
    ServerError,
)
from desktop_app.sync.engine import MAX_RETRY_AFTER_S, NOT_STORED, SyncEngine
from local_cache import Cache, MessageState, open_cache

from .conftest import Recorder, wait_for

OWNER = "demo"
Batch = list[tuple[str, dict]]


class ScriptedApi(ApiClient):
    """An ApiClient whose answers come from `script` (one callable per batch request; the
    last one repeats); every request is logged with its monotonic time."""

    def __init__(self, script: list[Callable[[Batch], list[ItemResult]]]) -> None:
        super().__init__("https://127.0.0.1:9")  # never contacted
        self.script = script
        self.calls: list[tuple[float, list[str]]] = []
        self.reminder_calls = 0

    def submit_batch(self, token: str, items: Batch) -> list[ItemResult]:
        self.calls.append((time.monotonic(), [body["message_id"] for _, body in items]))
        answer = self.script[min(len(self.calls), len(self.script)) - 1]
        return answer(items)

    def reminders(self, token: str) -> tuple[list[dict], datetime]:
        self.reminder_calls += 1
        return [], datetime.now(UTC)

    def receipt_keys(self) -> list[dict]:
        return []

    def receipts(self, token: str, since: str | None = None) -> tuple[list[dict], str]:
        return [], since or "0"

    def statistics(self, token: str, registry: str | None = None) -> dict:
        return {"as_of": None, "registries": []}


def receipts(items: Batch) -> list[ItemResult]:
    return [Receipted(receipt=_receipt(body), replay=False) for _, body in items]


def raises(exc: Exception) -> Callable[[Batch], list[ItemResult]]:
    def answer(items: Batch) -> list[ItemResult]:
        raise exc

    return answer


def _receipt(body: dict, receipt_id: str | None = None) -> dict:
    return {
        "receipt_id": receipt_id or str(uuid.uuid4()),
        "message_id": body["message_id"],
        "registry": body["registry"],
        "form": body["form"],
        "version": body["version"],
        "received_at": "2026-03-01T10:15:00Z",
        "body_sha256": "ab" * 32,
        "unit_id": "1",
    }


class FakeSession:
    username = OWNER
    server_url = "https://127.0.0.1:9"

    def token(self) -> str | None:
        return "token"


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    opened = open_cache(tmp_path / "cache.sqlite3")
    yield opened
    opened.close()


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def recorder(bus: EventBus) -> Recorder:
    return Recorder(bus)


@pytest.fixture
def queue(cache: Cache) -> Callable[[int], list[str]]:
    def make(count: int) -> list[str]:
        ids = []
        for _ in range(count):
            record = cache.messages.create_draft(OWNER, "breast", "assessment", 1, {"a": "1"})
            body = {
                "message_id": record.id,
                "registry": "breast",
                "form": "assessment",
                "version": 1,
                "values": {"a": "1"},
            }
            cache.messages.submit(record.id, body)
            ids.append(record.id)
        return ids

    return make


@pytest.fixture
def run_engine(cache: Cache, bus: EventBus) -> Iterator[Callable[..., SyncEngine]]:
    engines: list[SyncEngine] = []

    def run(api: ApiClient, **kwargs: float) -> SyncEngine:
        kwargs = {"interval_s": 600.0, "retry_s": 0.01, **kwargs}
        engine = SyncEngine(cache, api, FakeSession(), bus, **kwargs)
        engines.append(engine)
        engine.start()
        return engine

    yield run
    for engine in engines:
        engine.stop()
        engine.api.close()


def _states(cache: Cache, ids: list[str]) -> list[MessageState]:
    return [cache.messages.get(i).state for i in ids]


def _passes_done(recorder: Recorder) -> int:
    """Passes that have ended (syncing went from True to False)."""
    ended, syncing = 0, False
    for event in recorder.of(SyncStatusChanged):
        if syncing and not event.status.syncing:
            ended += 1
        syncing = event.status.syncing
    return ended


# --- batches and progress -----------------------------------------------------------------------


def test_the_outbox_goes_in_batches_with_progress_and_one_outbox_event_per_batch(
    cache: Cache,
    queue: Callable[[int], list[str]],
    run_engine: Callable[..., SyncEngine],
    recorder: Recorder,
) -> None:
    ids = queue(25)
    api = ScriptedApi([receipts])

    engine = run_engine(api, batch_size=10)
    wait_for(lambda: _passes_done(recorder) == 1)

    assert [len(sent) for _, sent in api.calls] == [10, 10, 5]
    assert [i for _, sent in api.calls for i in sent] == ids  # oldest first
    assert set(_states(cache, ids)) == {MessageState.RECEIPTED}
    progress = [(e.status.done, e.status.total) for e in recorder.of(SyncStatusChanged)]
    steps = [p for i, p in enumerate(progress) if i == 0 or p != progress[i - 1]]
    assert steps == [(0, 25), (10, 25), (20, 25), (25, 25)]
    # One at start-up, then one per batch.
    assert [e.unsent for e in recorder.of(OutboxChanged)] == [25, 15, 5, 0]
    states = recorder.of(MessageStateChanged)
    assert len(states) == 50
    assert {e.state for e in states[:10]} == {"sending"}
    status = engine.status
    assert (status.syncing, status.last_error, status.online) == (False, None, True)
    assert status.last_success_at is not None
    assert status.next_attempt_at == status.last_success_at + timedelta(seconds=600)


def test_the_batch_size_never_exceeds_what_the_server_takes(
    cache: Cache,
    queue: Callable[[int], list[str]],
    run_engine: Callable[..., SyncEngine],
    recorder: Recorder,
) -> None:
    queue(150)
    api = ScriptedApi([receipts])

    run_engine(api, batch_size=1000)
    wait_for(lambda: _passes_done(recorder) == 1)

    assert [len(sent) for _, sent in api.calls] == [100, 50]


def test_each_answer_kind_settles_its_message(
    cache: Cache,
    queue: Callable[[int], list[str]],
    run_engine: Callable[..., SyncEngine],
    recorder: Recorder,
) -> None:
    ids = queue(5)
    issues = [{"path": "a", "severity": "error", "key": "required", "params": {}}]

    def mixed(items: Batch) -> list[ItemResult]:
        first, second = items[0][1], items[1][1]
        return [
            Receipted(receipt=_receipt(first), replay=False),
            Receipted(receipt=_receipt(second), replay=True),
            Invalid(issues=issues, detail="The message has 1 error."),
            Conflict(detail="This key was used for another message."),
            Refused(status=413, detail="The message is larger than 256 KiB."),
        ]

    run_engine(ScriptedApi([mixed]))
    wait_for(lambda: _passes_done(recorder) == 1)

    assert _states(cache, ids) == [
        MessageState.RECEIPTED,
        MessageState.RECEIPTED,
        MessageState.DRAFT,
        MessageState.REJECTED,
        MessageState.DRAFT,
    ]
    assert cache.messages.get(ids[2]).server_issues == issues
    assert cache.messages.get(ids[3]).last_error == "This key was used for another message."
    assert cache.messages.get(ids[4]).last_error == (
        "The registry server refused the message: The message is larger than 256 KiB."
    )
    finals = [e.state for e in recorder.of(MessageStateChanged)][5:]
    assert finals == ["receipted", "receipted", "draft", "rejected", "draft"]


# --- failures of the whole request ---------------------------------------------------------------


def test_retry_after_is_kept_even_against_request_sync(
    cache: Cache,
    queue: Callable[[int], list[str]],
    run_engine: Callable[..., SyncEngine],
    recorder: Recorder,
) -> None:
    ids = queue(3)
    busy = ServerError("The registry server is busy.", status=503, retry_after=0.8)
    api = ScriptedApi([raises(busy), receipts])

    engine = run_engine(api)
    wait_for(lambda: engine.status.next_attempt_at is not None)
    status = engine.status
    for _ in range(5):  # the user presses "Send now" again and again
        engine.request_sync()
    wait_for(lambda: set(_states(cache, ids)) == {MessageState.RECEIPTED})

    first, second = api.calls[0][0], api.calls[1][0]
    assert len(api.calls) == 2
    assert second - first >= 0.8  # nothing was sent before the server's deadline
    assert status.last_error == "The registry server is busy."
    assert status.online is False
    assert status.server_wait_until - status.last_error_at == timedelta(seconds=0.8)
    assert status.next_attempt_at >= status.server_wait_until
    assert [cache.messages.get(i).attempts for i in ids] == [1, 1, 1]
    assert cache.messages.get(ids[0]).idempotency_key is not None
    wait_for(lambda: engine.status.server_wait_until is None)


def test_a_huge_retry_after_is_capped_and_stop_ends_the_wait(
    cache: Cache,
    queue: Callable[[int], list[str]],
    run_engine: Callable[..., SyncEngine],
) -> None:
    queue(1)
    api = ScriptedApi([raises(ServerError("Busy.", status=429, retry_after=86_400.0))])

    engine = run_engine(api)
    wait_for(lambda: engine.status.next_attempt_at is not None)

    status = engine.status
    assert status.server_wait_until - status.last_error_at == timedelta(seconds=MAX_RETRY_AFTER_S)
    engine.request_sync()
    engine.stop()
    assert not engine.running
    assert len(api.calls) == 1


def test_network_failures_back_off_exponentially_up_to_the_cap(
    cache: Cache,
    queue: Callable[[int], list[str]],
    run_engine: Callable[..., SyncEngine],
    recorder: Recorder,
) -> None:
    ids = queue(2)
    api = ScriptedApi([raises(NetworkError("The registry server cannot be reached."))])

    engine = run_engine(api, retry_s=0.05, max_backoff_s=0.2)
    wait_for(lambda: len(api.calls) >= 8)  # uncapped, the 8th wait alone would be 6.4 s
    engine.stop()

    waits = [
        (e.status.next_attempt_at - e.status.last_error_at).total_seconds()
        for e in recorder.of(SyncStatusChanged)
        if e.status.next_attempt_at is not None and not e.status.syncing
    ]
    ceilings = [0.05, 0.1, 0.2, 0.2, 0.2, 0.2, 0.2]
    assert len(waits) >= len(ceilings)
    for wait, ceiling in zip(waits, ceilings, strict=False):
        assert wait >= 0.75 * ceiling  # (jitter takes off at most a quarter)
        assert wait < ceiling + 1.0  # generous: only the time to settle the batch is added
    gaps = [b[0] - a[0] for a, b in zip(api.calls, api.calls[1:], strict=False)]
    assert all(gap >= 0.75 * ceiling for gap, ceiling in zip(gaps, ceilings, strict=False))
    assert all(cache.messages.get(i).state is MessageState.QUEUED for i in ids)
    assert cache.messages.get(ids[0]).attempts >= 6
    assert engine.status.server_wait_until is None


def test_a_refusal_of_the_whole_request_quarantines_the_batch_and_is_not_retried(
    cache: Cache,
    queue: Callable[[int], list[str]],
    run_engine: Callable[..., SyncEngine],
    recorder: Recorder,
) -> None:
    ids = queue(3)
    refused = ApiError("The registry server refused the request: Not Found", status=404)
    api = ScriptedApi([raises(refused), receipts])

    engine = run_engine(api)
    wait_for(lambda: _passes_done(recorder) >= 2)  # the backoff pass found nothing to send

    assert len(api.calls) == 1
    assert set(_states(cache, ids)) == {MessageState.REJECTED}
    assert cache.messages.get(ids[0]).last_error == refused.message
    assert len(cache.messages.list(OWNER, [MessageState.REJECTED])) == 3
    assert engine.online is True  # the server did answer


def test_a_request_too_large_as_a_whole_is_split_in_halves(
    cache: Cache,
    queue: Callable[[int], list[str]],
    run_engine: Callable[..., SyncEngine],
    recorder: Recorder,
) -> None:
    ids = queue(4)

    def at_most_two(items: Batch) -> list[ItemResult]:
        if len(items) > 2:
            raise ApiError("The registry server refused the request: too large", status=413)
        return receipts(items)

    api = ScriptedApi([at_most_two])
    run_engine(api)
    wait_for(lambda: _passes_done(recorder) == 1)

    assert [len(sent) for _, sent in api.calls] == [4, 2, 2]
    assert set(_states(cache, ids)) == {MessageState.RECEIPTED}


def test_a_single_message_too_large_for_any_request_goes_back_to_draft(
    cache: Cache,
    queue: Callable[[int], list[str]],
    run_engine: Callable[..., SyncEngine],
    recorder: Recorder,
) -> None:
    [big] = queue(1)
    too_large = ApiError("The registry server refused the request: too large", status=413)

    run_engine(ScriptedApi([raises(too_large)]))
    wait_for(lambda: _passes_done(recorder) == 1)

    assert cache.messages.get(big).state is MessageState.DRAFT
    assert cache.messages.get(big).last_error == too_large.message


def test_a_rejected_token_releases_the_claims_without_counting_an_attempt(
    cache: Cache,
    queue: Callable[[int], list[str]],
    run_engine: Callable[..., SyncEngine],
    recorder: Recorder,
) -> None:
    ids = queue(2)
    api = ScriptedApi([raises(AuthError("Your sign-in has expired.", status=401))])

    engine = run_engine(api, interval_s=0.01)
    wait_for(lambda: recorder.of(SignInRequired))
    time.sleep(0.1)  # many intervals: the engine waits to be woken, it does not send again

    assert len(api.calls) == 1
    assert [(r.state, r.attempts) for r in map(cache.messages.get, ids)] == [
        (MessageState.QUEUED, 0),
        (MessageState.QUEUED, 0),
    ]
    assert engine.status.next_attempt_at is None
    assert "Sign in again" in (engine.last_error or "")


# --- cancel, and answers that cannot be stored ---------------------------------------------------


def test_cancel_records_the_request_in_flight_and_leaves_the_rest_queued(
    cache: Cache,
    queue: Callable[[int], list[str]],
    run_engine: Callable[..., SyncEngine],
    recorder: Recorder,
) -> None:
    ids = queue(30)
    in_flight, answer = threading.Event(), threading.Event()

    def slow(items: Batch) -> list[ItemResult]:
        in_flight.set()
        assert answer.wait(10)
        return receipts(items)

    api = ScriptedApi([slow])
    engine = run_engine(api, batch_size=10)
    assert in_flight.wait(10)
    engine.cancel()
    answer.set()
    wait_for(lambda: _passes_done(recorder) == 1)

    assert len(api.calls) == 1
    assert _states(cache, ids) == [MessageState.RECEIPTED] * 10 + [MessageState.QUEUED] * 20
    assert {cache.messages.get(i).attempts for i in ids[10:]} == {0}
    assert api.reminder_calls == 0
    assert engine.status.syncing is False
    assert engine.status.next_attempt_at is not None  # the interval, as usual
    engine.request_sync()  # a later "Send now" sends the rest
    wait_for(lambda: set(_states(cache, ids)) == {MessageState.RECEIPTED})


def test_a_receipt_that_cannot_be_stored_keeps_its_message_in_the_outbox(
    cache: Cache,
    queue: Callable[[int], list[str]],
    run_engine: Callable[..., SyncEngine],
    recorder: Recorder,
) -> None:
    ids = queue(3)

    def repeated_receipt_id(items: Batch) -> list[ItemResult]:
        # A (broken) server gives two messages the same receipt id: the second cannot be stored.
        return [
            Receipted(receipt=_receipt(body, receipt_id=f"r-{min(i, 1)}"), replay=False)
            for i, (_, body) in enumerate(items)
        ]

    engine = run_engine(ScriptedApi([repeated_receipt_id]), retry_s=600.0)
    wait_for(lambda: _passes_done(recorder) == 1)

    first, second, third = (cache.messages.get(i) for i in ids)
    assert (first.state, second.state, third.state) == (
        MessageState.RECEIPTED,
        MessageState.RECEIPTED,
        MessageState.QUEUED,
    )
    assert (third.attempts, third.last_error) == (1, NOT_STORED)
    assert engine.last_error == NOT_STORED
    assert [r.message_id for r in cache.receipts.list(OWNER)].count(third.id) == 0
