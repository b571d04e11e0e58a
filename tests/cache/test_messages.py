"""The message state machine: every transition, every wrong one, and the idempotency key."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from sqlalchemy.exc import IntegrityError

from local_cache import Cache, InvalidTransition, MessageRecord, MessageState
from tests.cache.builders import OWNER, body_for, draft, queued, receipt_for, sending

# --- the transitions that are allowed --------------------------------------------------------


def test_create_draft_starts_empty_of_outbox_fields(cache: Cache, identity_number: str) -> None:
    record = cache.messages.create_draft(OWNER, "breast", "assessment", 2, {"pid": identity_number})

    assert record.state is MessageState.DRAFT
    assert (record.registry, record.form, record.form_version) == ("breast", "assessment", 2)
    assert record.values == {"pid": identity_number}
    assert record.body is None and record.idempotency_key is None and record.receipt_id is None
    assert record.server_issues == [] and record.attempts == 0 and record.queued_at is None
    assert record.created_at.tzinfo is not None
    assert cache.messages.get(record.id) == record
    uuid.UUID(record.id, version=4)


def test_save_values_replaces_the_draft_values(cache: Cache) -> None:
    record = draft(cache, {"a": "1"})
    cache.messages.save_values(record.id, {"a": "2", "b": ["x", "y"]})

    again = cache.messages.get(record.id)
    assert again.values == {"a": "2", "b": ["x", "y"]}
    assert again.updated_at > record.updated_at


def test_submit_freezes_the_body_and_assigns_a_uuid4_key(cache: Cache) -> None:
    record = draft(cache)
    body = body_for(record, {"a": "1"})

    submitted = cache.messages.submit(record.id, body)

    assert submitted.state is MessageState.QUEUED
    assert submitted.body == body
    assert uuid.UUID(submitted.idempotency_key).version == 4
    assert submitted.queued_at is not None
    assert cache.messages.get(record.id) == submitted


def test_every_submit_gets_its_own_key(cache: Cache) -> None:
    keys = {queued(cache).idempotency_key for _ in range(5)}
    assert len(keys) == 5


def test_submit_refuses_a_body_for_another_message(cache: Cache) -> None:
    record = draft(cache)
    with pytest.raises(ValueError):
        cache.messages.submit(record.id, {**body_for(record), "message_id": str(uuid.uuid4())})
    assert cache.messages.get(record.id).state is MessageState.DRAFT


def test_claim_moves_the_oldest_queued_to_sending(cache: Cache) -> None:
    first, second, third = queued(cache), queued(cache), queued(cache)
    other_owner = queued(cache, owner="someone.else")

    claimed = cache.messages.claim_for_sending(OWNER, limit=2)

    assert [c.id for c in claimed] == [first.id, second.id]
    assert all(c.state is MessageState.SENDING for c in claimed)
    assert cache.messages.get(third.id).state is MessageState.QUEUED
    assert cache.messages.get(other_owner.id).state is MessageState.QUEUED
    assert [c.id for c in cache.messages.claim_for_sending(OWNER)] == [third.id]
    assert cache.messages.claim_for_sending(OWNER) == []


def test_receipted_stores_the_receipt_with_the_state(cache: Cache) -> None:
    record = sending(cache)
    receipt = {**receipt_for(record), "signature": "c2lnbmF0dXJl"}

    cache.messages.mark_receipted(record.id, receipt)

    done = cache.messages.get(record.id)
    assert done.state is MessageState.RECEIPTED
    assert done.receipt_id == receipt["receipt_id"]
    assert done.idempotency_key == record.idempotency_key and done.body == record.body
    stored = cache.receipts.get(receipt["receipt_id"])
    assert stored.message_id == record.id and stored.version == 1
    assert stored.to_dict() == receipt  # unknown fields such as a signature are kept
    assert [r.receipt_id for r in cache.receipts.list(OWNER)] == [receipt["receipt_id"]]
    assert cache.receipts.list("someone.else") == []


def test_failed_attempt_requeues_with_the_same_key(cache: Cache) -> None:
    record = sending(cache)

    cache.messages.mark_failed_attempt(record.id, "The registry server cannot be reached.")
    again = cache.messages.claim_for_sending(OWNER)[0]
    cache.messages.mark_failed_attempt(record.id, "The registry server is busy.")

    after = cache.messages.get(record.id)
    assert after.state is MessageState.QUEUED
    assert after.attempts == 2
    assert after.last_error == "The registry server is busy."
    assert again.idempotency_key == after.idempotency_key == record.idempotency_key
    assert after.body == record.body


def test_returned_to_draft_keeps_issues_and_clears_body_and_key(cache: Cache) -> None:
    record = sending(cache)
    issues = [{"path": "a", "severity": "error", "key": "required", "params": {}, "message": "x"}]

    cache.messages.mark_returned_to_draft(record.id, issues, "The message has errors.")

    back = cache.messages.get(record.id)
    assert back.state is MessageState.DRAFT
    assert back.server_issues == issues
    assert back.last_error == "The message has errors."
    assert back.body is None and back.idempotency_key is None and back.queued_at is None
    assert back.values == record.values
    # Editable again, and a new submit gets a new key.
    cache.messages.save_values(record.id, {"a": "fixed"})
    resubmitted = cache.messages.submit(record.id, body_for(back, {"a": "fixed"}))
    assert resubmitted.idempotency_key not in (None, record.idempotency_key)
    assert resubmitted.server_issues == [] and resubmitted.last_error is None


def test_rejected_is_quarantined_with_its_key(cache: Cache) -> None:
    record = sending(cache)

    cache.messages.mark_rejected(record.id, "The key was already used for another message.")

    rejected = cache.messages.get(record.id)
    assert rejected.state is MessageState.REJECTED
    assert rejected.idempotency_key == record.idempotency_key
    assert rejected.last_error == "The key was already used for another message."


def test_reset_interrupted_requeues_sending_and_keeps_the_key(cache: Cache) -> None:
    a, b = sending(cache), sending(cache, owner="someone.else")
    waiting = queued(cache)

    assert cache.messages.reset_interrupted() == 2

    for record in (a, b):
        after = cache.messages.get(record.id)
        assert after.state is MessageState.QUEUED
        assert after.idempotency_key == record.idempotency_key
        assert after.body == record.body
    assert cache.messages.get(waiting.id).idempotency_key == waiting.idempotency_key
    assert cache.messages.reset_interrupted() == 0


def test_key_survives_failures_restarts_and_the_receipt(cache: Cache) -> None:
    record = queued(cache)
    key = record.idempotency_key
    seen = []
    for _ in range(3):
        seen.append(cache.messages.claim_for_sending(OWNER)[0].idempotency_key)
        cache.messages.mark_failed_attempt(record.id, "offline")
    cache.messages.claim_for_sending(OWNER)
    cache.messages.reset_interrupted()
    seen.append(cache.messages.get(record.id).idempotency_key)
    claimed = cache.messages.claim_for_sending(OWNER)[0]
    cache.messages.mark_receipted(record.id, receipt_for(claimed))
    seen.append(cache.messages.get(record.id).idempotency_key)

    assert seen == [key] * 5


def test_delete_draft(cache: Cache) -> None:
    record = draft(cache)
    cache.messages.delete_draft(record.id)
    with pytest.raises(KeyError):
        cache.messages.get(record.id)


# --- the transitions that are refused ---------------------------------------------------------

_ALL_STATES = list(MessageState)


def _in_state(cache: Cache, state: MessageState) -> MessageRecord:
    if state is MessageState.DRAFT:
        return draft(cache)
    if state is MessageState.QUEUED:
        return queued(cache)
    record = sending(cache)
    if state is MessageState.RECEIPTED:
        cache.messages.mark_receipted(record.id, receipt_for(record))
    elif state is MessageState.REJECTED:
        cache.messages.mark_rejected(record.id, "conflict")
    return cache.messages.get(record.id)


_ACTIONS: dict[str, tuple[set[MessageState], Callable[[Cache, MessageRecord], object]]] = {
    "save_values": ({MessageState.DRAFT}, lambda c, r: c.messages.save_values(r.id, {"a": "9"})),
    "submit": ({MessageState.DRAFT}, lambda c, r: c.messages.submit(r.id, body_for(r))),
    "delete_draft": ({MessageState.DRAFT}, lambda c, r: c.messages.delete_draft(r.id)),
    "mark_receipted": (
        {MessageState.SENDING},
        lambda c, r: c.messages.mark_receipted(r.id, receipt_for(r)),
    ),
    "mark_returned_to_draft": (
        {MessageState.SENDING},
        lambda c, r: c.messages.mark_returned_to_draft(r.id, [], "invalid"),
    ),
    "mark_failed_attempt": (
        {MessageState.SENDING},
        lambda c, r: c.messages.mark_failed_attempt(r.id, "offline"),
    ),
    "mark_rejected": ({MessageState.SENDING}, lambda c, r: c.messages.mark_rejected(r.id, "409")),
}

_WRONG = [
    (action, state)
    for action, (allowed, _) in _ACTIONS.items()
    for state in _ALL_STATES
    if state not in allowed
]


@pytest.mark.parametrize(("action", "state"), _WRONG, ids=[f"{a}-{s}" for a, s in _WRONG])
def test_wrong_state_is_refused_and_changes_nothing(
    cache: Cache, action: str, state: MessageState
) -> None:
    record = _in_state(cache, state)
    before = cache.messages.get(record.id)

    with pytest.raises(InvalidTransition) as raised:
        _ACTIONS[action][1](cache, record)

    assert raised.value.state == state.value and raised.value.message_id == record.id
    assert str(raised.value)  # a sentence the UI can show
    assert cache.messages.get(record.id) == before


def test_claim_and_reset_ignore_other_states(cache: Cache) -> None:
    # Reversed: building a "sending" message claims whatever is queued at that moment.
    records = {state: _in_state(cache, state) for state in reversed(_ALL_STATES)}
    before = {state: cache.messages.get(r.id) for state, r in records.items()}

    claimed = cache.messages.claim_for_sending(OWNER)
    cache.messages.mark_failed_attempt(claimed[0].id, "offline")  # back to queued

    assert [c.id for c in claimed] == [records[MessageState.QUEUED].id]
    assert cache.messages.reset_interrupted() == 1  # only the one that was sending
    for state in (MessageState.DRAFT, MessageState.RECEIPTED, MessageState.REJECTED):
        assert cache.messages.get(records[state].id) == before[state]


@pytest.mark.parametrize("action", list(_ACTIONS))
def test_unknown_message_is_a_key_error(cache: Cache, action: str) -> None:
    ghost = draft(cache)
    cache.messages.delete_draft(ghost.id)
    with pytest.raises(KeyError):
        _ACTIONS[action][1](cache, ghost)


# --- one transaction ---------------------------------------------------------------------------


def test_a_failing_receipt_insert_leaves_the_message_sending(cache: Cache) -> None:
    first, second = sending(cache), sending(cache)
    receipt = receipt_for(first)
    cache.messages.mark_receipted(first.id, receipt)

    # The server (wrongly) repeats a receipt id: the receipt insert fails after the state update.
    with pytest.raises(IntegrityError):
        cache.messages.mark_receipted(
            second.id, receipt_for(second, receipt_id=receipt["receipt_id"])
        )

    after = cache.messages.get(second.id)
    assert after.state is MessageState.SENDING
    assert after.receipt_id is None
    assert cache.receipts.get(receipt["receipt_id"]).message_id == first.id


def test_an_incomplete_receipt_is_refused_and_nothing_changes(cache: Cache) -> None:
    record = sending(cache)
    receipt = receipt_for(record)
    del receipt["body_sha256"]

    with pytest.raises(ValueError):
        cache.messages.mark_receipted(record.id, receipt)

    assert cache.messages.get(record.id).state is MessageState.SENDING
    assert cache.receipts.list(OWNER) == []


def test_a_receipt_for_another_message_is_refused(cache: Cache) -> None:
    record, other = sending(cache), sending(cache)
    with pytest.raises(ValueError):
        cache.messages.mark_receipted(record.id, receipt_for(other))
    assert cache.messages.get(record.id).state is MessageState.SENDING


def test_values_that_cannot_be_encoded_leave_the_draft_as_it_was(cache: Cache) -> None:
    record = draft(cache, {"a": "1"})
    with pytest.raises((TypeError, ValueError)):
        cache.messages.save_values(record.id, {"a": object()})
    assert cache.messages.get(record.id).values == {"a": "1"}


# --- listing and counting --------------------------------------------------------------------


def test_list_filters_by_owner_and_state_newest_updated_first(cache: Cache) -> None:
    old, new = draft(cache), draft(cache)
    waiting = queued(cache)
    draft(cache, owner="someone.else")
    cache.messages.save_values(old.id, {"a": "touched"})

    drafts = cache.messages.list(OWNER, [MessageState.DRAFT])
    everything = cache.messages.list(OWNER, None)

    assert [r.id for r in drafts] == [old.id, new.id]
    assert [r.id for r in everything] == [old.id, waiting.id, new.id]
    assert [r.id for r in cache.messages.list(OWNER, ["queued"])] == [waiting.id]


def test_list_without_bodies_keeps_everything_else(cache: Cache) -> None:
    waiting = queued(cache)

    [full] = cache.messages.list(OWNER, ["queued"])
    [light] = cache.messages.list(OWNER, ["queued"], with_body=False)

    assert full.body == body_for(waiting) and light.body is None
    assert light == MessageRecord(**{**vars(full), "body": None})


def test_count_unsent_counts_queued_and_sending(cache: Cache) -> None:
    receipted = sending(cache)
    cache.messages.mark_receipted(receipted.id, receipt_for(receipted))
    sending(cache)
    queued(cache)
    draft(cache)
    queued(cache, owner="someone.else")

    assert cache.messages.count_unsent(OWNER) == 2
    assert cache.messages.count_unsent("nobody") == 0
