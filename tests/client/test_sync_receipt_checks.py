"""A receipt takes a message out of the outbox only when it verifies: for this message, for the
body sent, signed with a key trusted for this server (fetched once a pass when not known yet).
Otherwise the message is quarantined with a sentence, its receipt is not stored, and the pass
does not send it again. And one failing step does not stop the others.

Scripted ApiClient (tests/client/scripted_api.py; its receipts are signed with a key it
publishes), real cache, real engine.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from desktop_app.events import EventBus
from desktop_app.receipt_signature import SigningKey, public_key_text
from desktop_app.sync.api_client import ItemResult, Receipted
from desktop_app.sync.engine import SyncEngine
from desktop_app.sync.receipt_steps import refresh_receipt_keys
from desktop_app.sync.steps import StepContext
from local_cache import Cache, MessageState

from .conftest import Recorder, wait_for
from .scripted_api import (
    KEY,
    PUBLISHED,
    Batch,
    FakeSession,
    ScriptedApi,
    passes_done,
    signed_receipt,
)

FORGER = SigningKey(Ed25519PrivateKey.generate())
SENTENCE = (
    "The registry's receipt for this report could not be verified ({0}): the report is kept "
    "in the outbox. Retry later or tell the registry."
)


def _answering(change: Callable[[dict, dict], dict]) -> Callable[[Batch], list[ItemResult]]:
    """Each message answered with `change(genuine receipt, body)`."""

    def answer(items: Batch) -> list[ItemResult]:
        return [
            Receipted(receipt=change(signed_receipt(body), body), replay=False) for _, body in items
        ]

    return answer


def _forged(receipt: dict, body: dict) -> dict:
    """Signed by another key, naming the registry's (the signature does not match)."""
    forged = FORGER.sign(receipt)
    return {**forged, "key_id": KEY.key_id}


def _other_body(receipt: dict, body: dict) -> dict:
    """Genuinely signed, but for other content than the body sent."""
    return KEY.sign({**receipt, "body_sha256": "0" * 64})


def _other_message(receipt: dict, body: dict) -> dict:
    return KEY.sign({**receipt, "message_id": "00000000-0000-4000-8000-000000000000"})


def _unknown_key(receipt: dict, body: dict) -> dict:
    return FORGER.sign(receipt)  # a key the server does not publish


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_forged, "its signature does not match it"),
        (_other_body, "it is for other content than the report that was sent"),
        (_other_message, "it is for another message"),
        (_unknown_key, "it is signed with a key this computer does not know"),
    ],
)
def test_a_receipt_that_does_not_verify_keeps_the_message_in_the_outbox(
    cache: Cache,
    queue: Callable[[int], list[str]],
    run_engine: Callable[..., SyncEngine],
    recorder: Recorder,
    change: Callable[[dict, dict], dict],
    reason: str,
) -> None:
    ids = queue(3)
    api = ScriptedApi([_answering(change)])

    run_engine(api)
    wait_for(lambda: passes_done(recorder) == 1)

    assert len(api.calls) == 1  # not claimed and sent again in the same pass
    for message_id in ids:
        record = cache.messages.get(message_id)
        assert record.state is MessageState.REJECTED
        assert record.receipt_id is None
        assert record.last_error == SENTENCE.format(reason)
    assert cache.receipts.list("demo") == []  # nothing stored for these messages
    # The registry's key, not known yet, was fetched once for the pass, not once per receipt
    # (a receipt for another message is refused before its signature is looked at).
    assert api.key_calls == (0 if change is _other_message else 1) + 1  # + the keys step


def test_a_key_not_known_yet_is_fetched_once_and_the_receipts_verify(
    cache: Cache,
    queue: Callable[[int], list[str]],
    run_engine: Callable[..., SyncEngine],
    recorder: Recorder,
) -> None:
    ids = queue(12)
    api = ScriptedApi([_answering(lambda receipt, body: receipt)])

    run_engine(api, batch_size=5)
    wait_for(lambda: passes_done(recorder) == 1)

    assert [len(sent) for _, sent in api.calls] == [5, 5, 2]
    assert api.key_calls == 2  # once for the first receipt naming it, once by the keys step
    for message_id in ids:
        record = cache.messages.get(message_id)
        assert record.state is MessageState.RECEIPTED
        assert cache.receipts.get(record.receipt_id).verdict == "valid"
    assert cache.receipt_keys.keys(FakeSession.server_url) == {
        KEY.key_id: api.published[0]["public_key"]
    }


def test_a_quarantined_message_retried_once_the_key_is_published_is_receipted(
    cache: Cache,
    queue: Callable[[int], list[str]],
    run_engine: Callable[..., SyncEngine],
    recorder: Recorder,
) -> None:
    [message_id] = queue(1)
    api = ScriptedApi([_answering(lambda receipt, body: receipt)])
    api.published = []  # the server has not published its key yet
    engine = run_engine(api)
    wait_for(lambda: passes_done(recorder) == 1)
    assert cache.messages.get(message_id).state is MessageState.REJECTED

    api.published = [dict(PUBLISHED)]
    assert cache.messages.retry_rejected([message_id]) == 1  # the user's Retry
    engine.request_sync()
    wait_for(lambda: passes_done(recorder) == 2)

    record = cache.messages.get(message_id)
    assert record.state is MessageState.RECEIPTED
    assert cache.receipts.get(record.receipt_id).verdict == "valid"


def test_a_key_listed_under_another_id_is_never_saved(
    cache: Cache,
    queue: Callable[[int], list[str]],
    run_engine: Callable[..., SyncEngine],
    recorder: Recorder,
) -> None:
    """A server listing the forger's key under the registry's key id cannot make a forged
    receipt verify, nor push out the good key."""
    [message_id] = queue(1)
    api = ScriptedApi([_answering(_forged)])
    api.published = [{**PUBLISHED, "public_key": public_key_text(FORGER.public_key)}]

    run_engine(api)
    wait_for(lambda: passes_done(recorder) == 1)

    assert cache.messages.get(message_id).state is MessageState.REJECTED
    assert cache.receipt_keys.keys(FakeSession.server_url) == {}

    # Once the good key is saved, a list naming another key under its id changes nothing.
    api.published = [PUBLISHED]
    refresh_receipt_keys(_context(api, cache))
    api.published = [{**PUBLISHED, "public_key": public_key_text(FORGER.public_key)}]
    refresh_receipt_keys(_context(api, cache))
    assert cache.receipt_keys.keys(FakeSession.server_url) == {KEY.key_id: PUBLISHED["public_key"]}


def _context(api: ScriptedApi, cache: Cache) -> StepContext:
    return StepContext(api, "token", "demo", FakeSession(), cache, EventBus())


def test_a_step_that_fails_does_not_stop_the_others(
    cache: Cache, run_engine: Callable[..., SyncEngine], recorder: Recorder
) -> None:
    ran: list[str] = []

    def broken(ctx: StepContext) -> None:
        ran.append("broken")
        raise ValueError("The receipt is incomplete; missing: unit_id.")

    def after(ctx: StepContext) -> None:
        ran.append("after")

    engine = run_engine(ScriptedApi([]), steps=[broken, after], interval_s=0.05)
    wait_for(lambda: passes_done(recorder) >= 2)
    engine.stop()

    assert ran[:4] == ["broken", "after", "broken", "after"]
    assert engine.status.last_success_at is not None and engine.status.last_error is None
