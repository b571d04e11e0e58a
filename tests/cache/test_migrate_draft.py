"""Moving a draft to another form version, and finding a patient's messages of one form."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import text

from desktop_app.forms.identity import generate_identity_number
from local_cache import Cache, InvalidTransition, MessageState
from tests.cache.builders import OWNER, body_for, draft, receipt_for


def test_migrate_draft_changes_version_and_values_together(cache: Cache) -> None:
    record = cache.messages.create_draft(OWNER, "breast", "assessment", 1, {"detection": "1"})

    moved = cache.messages.migrate_draft(record.id, 2, {"detection_method": "1"}, from_version=1)

    assert (moved.form_version, moved.values) == (2, {"detection_method": "1"})
    assert moved.state is MessageState.DRAFT
    assert moved.updated_at > record.updated_at
    assert cache.messages.get(record.id) == moved


def test_migrate_draft_is_one_transaction(cache: Cache) -> None:
    """If the version cannot be written, the values are not written either."""
    record = cache.messages.create_draft(OWNER, "breast", "assessment", 1, {"detection": "1"})
    with cache.engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TRIGGER refuse_version BEFORE UPDATE OF form_version ON messages "
                "BEGIN SELECT RAISE(ABORT, 'version refused'); END"
            )
        )

    with pytest.raises(Exception, match="version refused"):
        cache.messages.migrate_draft(record.id, 2, {"detection_method": "1"})

    assert cache.messages.get(record.id) == record


def test_migrate_draft_refuses_a_message_that_is_not_a_draft(cache: Cache) -> None:
    record = draft(cache, {"detection": "1"})
    queued = cache.messages.submit(record.id, body_for(record))

    with pytest.raises(InvalidTransition, match="moved to a new form version"):
        cache.messages.migrate_draft(record.id, 2, {"detection_method": "1"})
    assert cache.messages.get(record.id) == queued


def test_migrate_draft_refuses_when_the_version_moved_meanwhile(cache: Cache) -> None:
    record = cache.messages.create_draft(OWNER, "breast", "assessment", 1, {"detection": "1"})
    moved = cache.messages.migrate_draft(record.id, 2, {"detection_method": "1"}, from_version=1)

    with pytest.raises(InvalidTransition):
        cache.messages.migrate_draft(record.id, 2, {"other": "x"}, from_version=1)
    assert cache.messages.get(record.id) == moved


def test_migrate_draft_of_an_unknown_message_is_a_key_error(cache: Cache) -> None:
    with pytest.raises(KeyError):
        cache.messages.migrate_draft("no-such-id", 2, {})


def test_find_by_patient_matches_owner_form_and_number(cache: Cache) -> None:
    rng = random.Random(99)
    patient, other_patient = (generate_identity_number(rng) for _ in range(2))
    mine = cache.messages.create_draft(OWNER, "breast", "assessment", 1, {"patient_id": patient})
    sent = cache.messages.create_draft(OWNER, "breast", "assessment", 1, {"patient_id": patient})
    cache.messages.submit(sent.id, body_for(sent))
    cache.messages.claim_for_sending(OWNER)
    cache.messages.mark_receipted(sent.id, receipt_for(sent))
    # Not matches: another patient, another form, another registry, another owner, no number.
    cache.messages.create_draft(OWNER, "breast", "assessment", 1, {"patient_id": other_patient})
    cache.messages.create_draft(OWNER, "breast", "surgery", 1, {"patient_id": patient})
    cache.messages.create_draft(OWNER, "sarcoma", "assessment", 1, {"patient_id": patient})
    cache.messages.create_draft("someone.else", "breast", "assessment", 1, {"patient_id": patient})
    cache.messages.create_draft(OWNER, "breast", "assessment", 1, {})

    found = cache.messages.find_by_patient(OWNER, "breast", "assessment", f" {patient} ")

    assert {r.id for r in found} == {mine.id, sent.id}
    assert found[0].id == sent.id  # newest changed first
    only_drafts = cache.messages.find_by_patient(
        OWNER, "breast", "assessment", patient, states=[MessageState.DRAFT]
    )
    assert [r.id for r in only_drafts] == [mine.id]
    assert cache.messages.find_by_patient(OWNER, "breast", "assessment", "") == []


# --- what a move changed, kept until acknowledged -------------------------------------------

REMOVED = {"kind": "removed", "field": "ki67_percent", "old": 18, "new": None, "version": 2}
RENAMED = {"kind": "renamed", "field": "detection_method", "old": "detection", "new": "x"}


def test_migrate_draft_stores_the_changes_with_the_version(cache: Cache) -> None:
    record = cache.messages.create_draft(OWNER, "breast", "assessment", 1, {"ki67_percent": 18})
    assert record.migration_changes == []

    moved = cache.messages.migrate_draft(record.id, 2, {}, from_version=1, changes=[REMOVED])

    assert moved.migration_changes == [REMOVED]
    assert cache.messages.get(record.id).migration_changes == [REMOVED]
    # Later edits of the answers keep them: only acknowledging (or submitting) clears them.
    cache.messages.save_values(record.id, {"other": "typed later"})
    assert cache.messages.get(record.id).migration_changes == [REMOVED]


def test_a_second_move_adds_to_the_unacknowledged_changes(cache: Cache) -> None:
    record = cache.messages.create_draft(OWNER, "breast", "assessment", 1, {"ki67_percent": 18})
    cache.messages.migrate_draft(record.id, 2, {}, from_version=1, changes=[REMOVED])
    third = {**RENAMED, "version": 3}

    moved = cache.messages.migrate_draft(record.id, 3, {}, from_version=2, changes=[third])

    assert moved.migration_changes == [REMOVED, third]


def test_a_move_without_changes_keeps_the_earlier_ones(cache: Cache) -> None:
    record = cache.messages.create_draft(OWNER, "breast", "assessment", 1, {"ki67_percent": 18})
    cache.messages.migrate_draft(record.id, 2, {}, from_version=1, changes=[REMOVED])

    assert cache.messages.migrate_draft(record.id, 3, {}).migration_changes == [REMOVED]


def test_the_changes_are_in_the_same_transaction_as_the_version(cache: Cache) -> None:
    record = cache.messages.create_draft(OWNER, "breast", "assessment", 1, {"ki67_percent": 18})
    with cache.engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TRIGGER refuse_version BEFORE UPDATE OF form_version ON messages "
                "BEGIN SELECT RAISE(ABORT, 'version refused'); END"
            )
        )

    with pytest.raises(Exception, match="version refused"):
        cache.messages.migrate_draft(record.id, 2, {}, changes=[REMOVED])

    assert cache.messages.get(record.id).migration_changes == []


def test_a_refused_second_migration_leaves_the_changes_as_they_were(cache: Cache) -> None:
    record = cache.messages.create_draft(OWNER, "breast", "assessment", 1, {"ki67_percent": 18})
    cache.messages.migrate_draft(record.id, 2, {}, from_version=1, changes=[REMOVED])

    with pytest.raises(InvalidTransition):
        cache.messages.migrate_draft(record.id, 2, {}, from_version=1, changes=[REMOVED])

    assert cache.messages.get(record.id).migration_changes == [REMOVED]


def test_clearing_the_changes_forgets_them_and_leaves_the_draft_alone(cache: Cache) -> None:
    record = cache.messages.create_draft(OWNER, "breast", "assessment", 1, {"ki67_percent": 18})
    moved = cache.messages.migrate_draft(record.id, 2, {"a": "1"}, changes=[REMOVED])

    cache.messages.clear_migration_changes(record.id)

    cleared = cache.messages.get(record.id)
    assert cleared.migration_changes == []
    assert (cleared.values, cleared.form_version, cleared.updated_at) == (
        moved.values,
        moved.form_version,
        moved.updated_at,
    )
    with pytest.raises(KeyError):
        cache.messages.clear_migration_changes("no-such-id")


def test_submitting_clears_the_changes(cache: Cache) -> None:
    record = cache.messages.create_draft(OWNER, "breast", "assessment", 1, {"ki67_percent": 18})
    moved = cache.messages.migrate_draft(record.id, 2, {"a": "1"}, changes=[REMOVED])

    queued = cache.messages.submit(record.id, body_for(moved))

    assert queued.migration_changes == []
    # Still none when the server sends it back for correction.
    cache.messages.claim_for_sending(OWNER)
    cache.messages.mark_returned_to_draft(record.id, [], "The message has errors.")
    assert cache.messages.get(record.id).migration_changes == []
