"""A sent batch is settled in one transaction; the outbox's user actions and its summary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from local_cache import (
    Cache,
    InvalidTransition,
    MessageRecord,
    MessageState,
    Quarantine,
    Receipt,
    RetryLater,
    ReturnToDraft,
)
from local_cache.schema import utc_now
from tests.cache.builders import OWNER, body_for, draft, queued, receipt_for, sending

ISSUES = [{"path": "a", "severity": "error", "key": "required", "params": {}, "message": "x"}]


def _rejected(cache: Cache, error: str = "The key was used for another message.") -> MessageRecord:
    record = sending(cache)
    cache.messages.record_outcomes([Quarantine(record.id, error)])
    return cache.messages.get(record.id)


@contextmanager
def _statements(cache: Cache) -> Iterator[list[str]]:
    """The SQL statements the cache sends while the block runs (executemany counts once)."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement.split()[0].upper())

    event.listen(cache.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(cache.engine, "before_cursor_execute", record)


# --- record_outcomes ----------------------------------------------------------------------------


def test_one_call_settles_each_kind_of_outcome(cache: Cache) -> None:
    received, invalid, conflict, busy = (sending(cache) for _ in range(4))
    receipt = receipt_for(received)
    before = utc_now()

    cache.messages.record_outcomes(
        [
            Receipt(received.id, receipt),
            ReturnToDraft(invalid.id, ISSUES, "The message has errors."),
            Quarantine(conflict.id, "The key was used for another message."),
            RetryLater(busy.id, "The registry server is busy."),
        ]
    )

    done = cache.messages.get(received.id)
    assert (done.state, done.receipt_id, done.last_error) == (
        MessageState.RECEIPTED,
        receipt["receipt_id"],
        None,
    )
    assert cache.receipts.get(receipt["receipt_id"]).to_dict() == receipt
    assert done.idempotency_key == received.idempotency_key

    back = cache.messages.get(invalid.id)
    assert back.state is MessageState.DRAFT
    assert (back.server_issues, back.last_error) == (ISSUES, "The message has errors.")
    assert back.body is None and back.idempotency_key is None and back.queued_at is None
    assert back.values == invalid.values

    rejected = cache.messages.get(conflict.id)
    assert rejected.state is MessageState.REJECTED
    assert rejected.idempotency_key == conflict.idempotency_key
    assert rejected.body == conflict.body
    assert rejected.last_error == "The key was used for another message."

    again = cache.messages.get(busy.id)
    assert (again.state, again.attempts) == (MessageState.QUEUED, 1)
    assert again.idempotency_key == busy.idempotency_key and again.body == busy.body
    assert again.last_error == "The registry server is busy."

    for record in (done, back, rejected, again):
        assert record.last_attempt_at is not None
        assert before <= record.last_attempt_at <= utc_now()
        assert record.updated_at == record.last_attempt_at


def test_mark_methods_are_the_same_path_and_record_the_attempt_time(cache: Cache) -> None:
    record = sending(cache)
    assert record.last_attempt_at is None

    cache.messages.mark_failed_attempt(record.id, "offline")

    after = cache.messages.get(record.id)
    assert after.last_attempt_at is not None and after.attempts == 1


@pytest.mark.parametrize("state", [s for s in MessageState if s is not MessageState.SENDING])
def test_one_message_in_the_wrong_state_rolls_back_the_whole_batch(
    cache: Cache, state: MessageState
) -> None:
    good = [sending(cache) for _ in range(3)]
    if state == MessageState.DRAFT:
        wrong = draft(cache)
    elif state == MessageState.QUEUED:
        wrong = queued(cache)
    elif state == MessageState.RECEIPTED:
        wrong = sending(cache)
        cache.messages.mark_receipted(wrong.id, receipt_for(wrong))
    else:
        wrong = _rejected(cache)
    before = {r.id: cache.messages.get(r.id) for r in [*good, wrong]}
    outcomes = [Receipt(r.id, receipt_for(r)) for r in good]
    outcomes.insert(1, RetryLater(wrong.id, "offline"))

    with pytest.raises(InvalidTransition) as raised:
        cache.messages.record_outcomes(outcomes)

    assert raised.value.message_id == wrong.id
    assert raised.value.state == state.value
    assert {r.id: cache.messages.get(r.id) for r in [*good, wrong]} == before
    assert len(cache.receipts.list(OWNER)) == (1 if state == MessageState.RECEIPTED else 0)


def test_an_unknown_message_rolls_back_the_batch(cache: Cache) -> None:
    record, ghost = sending(cache), draft(cache)
    cache.messages.delete_draft(ghost.id)

    with pytest.raises(KeyError):
        cache.messages.record_outcomes(
            [RetryLater(record.id, "offline"), Quarantine(ghost.id, "409")]
        )

    assert cache.messages.get(record.id) == record


def test_a_failing_receipt_insert_rolls_back_every_outcome(cache: Cache) -> None:
    first, second, third = sending(cache), sending(cache), sending(cache)
    receipt = receipt_for(first)
    cache.messages.mark_receipted(first.id, receipt)
    before = [cache.messages.get(r.id) for r in (second, third)]

    # The server (wrongly) repeats a receipt id: the last insert fails after every update.
    with pytest.raises(IntegrityError):
        cache.messages.record_outcomes(
            [
                Quarantine(third.id, "409"),
                Receipt(second.id, receipt_for(second, receipt_id=receipt["receipt_id"])),
            ]
        )

    assert [cache.messages.get(r.id) for r in (second, third)] == before
    assert [r.receipt_id for r in cache.receipts.list(OWNER)] == [receipt["receipt_id"]]


def test_outcomes_that_cannot_fit_are_refused_before_anything_is_written(cache: Cache) -> None:
    record, other = sending(cache), sending(cache)
    with pytest.raises(ValueError, match="another message"):
        cache.messages.record_outcomes([Receipt(record.id, receipt_for(other))])
    with pytest.raises(ValueError, match="only one outcome"):
        cache.messages.record_outcomes([RetryLater(record.id, "a"), Quarantine(record.id, "b")])
    incomplete = receipt_for(record)
    del incomplete["unit_id"]
    with pytest.raises(ValueError, match="unit_id"):
        cache.messages.record_outcomes([Receipt(record.id, incomplete)])

    assert cache.messages.get(record.id) == record
    assert cache.receipts.list(OWNER) == []
    cache.messages.record_outcomes([])  # nothing to do is not an error


def test_a_batch_of_a_hundred_is_one_read_and_one_write_per_kind(cache: Cache) -> None:
    records = [queued(cache) for _ in range(100)]
    assert len(cache.messages.claim_outgoing(OWNER, 100)) == 100
    kinds = [
        lambda r: Receipt(r.id, receipt_for(r)),
        lambda r: ReturnToDraft(r.id, ISSUES, "invalid"),
        lambda r: Quarantine(r.id, "409"),
        lambda r: RetryLater(r.id, "busy"),
    ]
    outcomes = [kinds[i % 4](r) for i, r in enumerate(records)]

    with _statements(cache) as seen:
        cache.messages.record_outcomes(outcomes)

    # Not one statement per message: one read, one write per kind, the receipts in one go.
    assert seen.count("SELECT") == 1
    assert seen.count("UPDATE") == 4
    assert seen.count("INSERT") == 1
    assert seen.count("BEGIN") == 1
    states = {cache.messages.get(r.id).state for r in records}
    assert states == {
        MessageState.RECEIPTED,
        MessageState.DRAFT,
        MessageState.REJECTED,
        MessageState.QUEUED,
    }
    assert len(cache.receipts.list(OWNER)) == 25


# --- claiming for the sync engine -------------------------------------------------------------


def test_claim_outgoing_takes_the_oldest_with_key_and_body_only(cache: Cache) -> None:
    first, second, third = queued(cache), queued(cache), queued(cache)
    queued(cache, owner="someone.else")

    claimed = cache.messages.claim_outgoing(OWNER, limit=2)

    assert [(c.id, c.idempotency_key, c.body) for c in claimed] == [
        (first.id, first.idempotency_key, first.body),
        (second.id, second.idempotency_key, second.body),
    ]
    assert {cache.messages.get(c.id).state for c in claimed} == {MessageState.SENDING}
    assert cache.messages.get(third.id).state is MessageState.QUEUED
    assert [c.id for c in cache.messages.claim_outgoing(OWNER)] == [third.id]
    assert cache.messages.claim_outgoing(OWNER) == []


def test_release_claims_requeues_without_counting_an_attempt(cache: Cache) -> None:
    done = sending(cache)
    cache.messages.mark_receipted(done.id, receipt_for(done))
    a, b = sending(cache), sending(cache)
    waiting = queued(cache)

    assert cache.messages.release_claims([a.id, b.id, waiting.id, done.id, a.id]) == 2

    for record in (a, b):
        after = cache.messages.get(record.id)
        assert (after.state, after.attempts, after.last_attempt_at) == (
            MessageState.QUEUED,
            0,
            None,
        )
        assert after.idempotency_key == record.idempotency_key and after.body == record.body
    assert cache.messages.get(done.id).state is MessageState.RECEIPTED
    assert cache.messages.get(waiting.id) == waiting
    assert cache.messages.release_claims([]) == 0


# --- the user's actions on quarantined messages -----------------------------------------------


def test_retry_rejected_queues_the_same_key_and_body_again(cache: Cache) -> None:
    rejected = _rejected(cache)
    other = sending(cache)  # not rejected: left alone

    assert cache.messages.retry_rejected([rejected.id, other.id]) == 1

    again = cache.messages.get(rejected.id)
    assert again.state is MessageState.QUEUED
    assert (again.idempotency_key, again.body) == (rejected.idempotency_key, rejected.body)
    assert again.last_error == rejected.last_error  # until the next answer says otherwise
    assert cache.messages.get(other.id).state is MessageState.SENDING
    [claimed] = cache.messages.claim_outgoing(OWNER)
    assert claimed.idempotency_key == rejected.idempotency_key
    assert cache.messages.retry_rejected([rejected.id]) == 0


def test_return_rejected_to_draft_clears_body_and_key_and_keeps_values(cache: Cache) -> None:
    rejected = _rejected(cache)

    back = cache.messages.return_rejected_to_draft(rejected.id)

    assert back == cache.messages.get(rejected.id)
    assert back.state is MessageState.DRAFT
    assert back.body is None and back.idempotency_key is None and back.queued_at is None
    assert back.values == rejected.values
    assert back.last_error == rejected.last_error
    cache.messages.save_values(back.id, {"a": "changed"})  # editable again
    resubmitted = cache.messages.submit(back.id, body_for(back, {"a": "changed"}))
    assert resubmitted.idempotency_key not in (None, rejected.idempotency_key)


@pytest.mark.parametrize("state", ["draft", "queued", "sending", "receipted"])
def test_only_a_rejected_message_returns_to_draft(cache: Cache, state: str) -> None:
    record = {"draft": draft, "queued": queued, "sending": sending}.get(state, sending)(cache)
    if state == "receipted":
        cache.messages.mark_receipted(record.id, receipt_for(record))
    before = cache.messages.get(record.id)

    with pytest.raises(InvalidTransition):
        cache.messages.return_rejected_to_draft(record.id)

    assert cache.messages.get(record.id) == before
