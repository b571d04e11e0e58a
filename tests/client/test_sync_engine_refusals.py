"""The sync engine's rules, continued: a refusal of the whole request, a request too large,
a rejected token, cancel, and answers that cannot be stored (scripted ApiClient, real cache).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from desktop_app.events import SignInRequired
from desktop_app.sync.api_client import ApiError, AuthError, ItemResult, Receipted
from desktop_app.sync.engine import NOT_STORED, SyncEngine
from local_cache import Cache, MessageState

from .conftest import Recorder, wait_for
from .scripted_api import (
    OWNER,
    Batch,
    ScriptedApi,
    passes_done,
    raises,
    receipts,
    signed_receipt,
    states_of,
)


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
    wait_for(lambda: passes_done(recorder) >= 2)  # the backoff pass found nothing to send

    assert len(api.calls) == 1
    assert set(states_of(cache, ids)) == {MessageState.REJECTED}
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
    wait_for(lambda: passes_done(recorder) == 1)

    assert [len(sent) for _, sent in api.calls] == [4, 2, 2]
    assert set(states_of(cache, ids)) == {MessageState.RECEIPTED}


def test_a_single_message_too_large_for_any_request_goes_back_to_draft(
    cache: Cache,
    queue: Callable[[int], list[str]],
    run_engine: Callable[..., SyncEngine],
    recorder: Recorder,
) -> None:
    [big] = queue(1)
    too_large = ApiError("The registry server refused the request: too large", status=413)

    run_engine(ScriptedApi([raises(too_large)]))
    wait_for(lambda: passes_done(recorder) == 1)

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
    wait_for(lambda: passes_done(recorder) == 1)

    assert len(api.calls) == 1
    assert states_of(cache, ids) == [MessageState.RECEIPTED] * 10 + [MessageState.QUEUED] * 20
    assert {cache.messages.get(i).attempts for i in ids[10:]} == {0}
    assert api.reminder_calls == 0
    assert engine.status.syncing is False
    assert engine.status.next_attempt_at is not None  # the interval, as usual
    engine.request_sync()  # a later "Send now" sends the rest
    wait_for(lambda: set(states_of(cache, ids)) == {MessageState.RECEIPTED})


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
            Receipted(receipt=signed_receipt(body, receipt_id=f"r-{min(i, 1)}"), replay=False)
            for i, (_, body) in enumerate(items)
        ]

    engine = run_engine(ScriptedApi([repeated_receipt_id]), retry_s=600.0)
    wait_for(lambda: passes_done(recorder) == 1)

    first, second, third = (cache.messages.get(i) for i in ids)
    assert (first.state, second.state, third.state) == (
        MessageState.RECEIPTED,
        MessageState.RECEIPTED,
        MessageState.QUEUED,
    )
    assert (third.attempts, third.last_error) == (1, NOT_STORED)
    assert engine.last_error == NOT_STORED
    assert [r.message_id for r in cache.receipts.list(OWNER)].count(third.id) == 0
