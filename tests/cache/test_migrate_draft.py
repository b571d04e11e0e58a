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
