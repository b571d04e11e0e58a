"""The sync engine's rules, against a scripted ApiClient (tests/client/scripted_api.py) and a
real cache file: batches and progress, what each kind of answer does, Retry-After and backoff.
Refusals of the whole request, cancel and answers that cannot be stored are in
test_sync_engine_refusals.py, receipts that do not verify in test_sync_receipt_checks.py; the
same behaviours against the real server in test_sync_engine.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from desktop_app.events import MessageStateChanged, OutboxChanged, SyncStatusChanged
from desktop_app.sync.api_client import (
    Conflict,
    Invalid,
    ItemResult,
    NetworkError,
    Receipted,
    Refused,
    ServerError,
)
from desktop_app.sync.engine import MAX_RETRY_AFTER_S, SyncEngine
from local_cache import Cache, MessageState

from .conftest import Recorder, wait_for
from .scripted_api import (
    Batch,
    ScriptedApi,
    passes_done,
    raises,
    receipts,
    signed_receipt,
    states_of,
)

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
    wait_for(lambda: passes_done(recorder) == 1)

    assert [len(sent) for _, sent in api.calls] == [10, 10, 5]
    assert [i for _, sent in api.calls for i in sent] == ids  # oldest first
    assert set(states_of(cache, ids)) == {MessageState.RECEIPTED}
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
    wait_for(lambda: passes_done(recorder) == 1)

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
            Receipted(receipt=signed_receipt(first), replay=False),
            Receipted(receipt=signed_receipt(second), replay=True),
            Invalid(issues=issues, detail="The message has 1 error."),
            Conflict(detail="This key was used for another message."),
            Refused(status=413, detail="The message is larger than 256 KiB."),
        ]

    run_engine(ScriptedApi([mixed]))
    wait_for(lambda: passes_done(recorder) == 1)

    assert states_of(cache, ids) == [
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
    wait_for(lambda: set(states_of(cache, ids)) == {MessageState.RECEIPTED})

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
