"""Receipts listing and the reminders snapshot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from local_cache import Cache
from tests.cache.builders import OWNER, receipt_for, sending


def test_receipts_newest_first_and_unknown_is_key_error(cache: Cache) -> None:
    first, second = sending(cache), sending(cache)
    cache.messages.mark_receipted(first.id, receipt_for(first, "R-1"))
    cache.messages.mark_receipted(second.id, receipt_for(second, "R-2"))

    listed = cache.receipts.list(OWNER)

    assert [r.receipt_id for r in listed] == ["R-2", "R-1"]
    assert listed[1].received_at == "2025-03-01T10:15:00Z"
    assert listed[1].stored_at.tzinfo is not None
    with pytest.raises(KeyError):
        cache.receipts.get("R-3")


def _reminder(rid: str, due: str, patient_id: str) -> dict:
    return {
        "id": rid,
        "registry": "breast",
        "form": "surgery",
        "patient_id": patient_id,
        "patient_name": "Ola Testdata",
        "reason": "No surgery report",
        "due_date": due,
        "created_at": "2025-03-01T00:00:00Z",
    }


def test_reminders_are_replaced_as_a_whole(cache: Cache, identity_number: str) -> None:
    assert cache.reminders.list(OWNER) == ([], None)
    fetched = datetime(2025, 3, 2, 8, 0, tzinfo=UTC)
    late, soon = _reminder("2", "2025-05-01", identity_number), _reminder("1", "2025-04-01", "x")

    cache.reminders.replace_all(OWNER, [late, soon], fetched)
    assert cache.reminders.list(OWNER) == ([soon, late], fetched)

    cache.reminders.replace_all(OWNER, [late], fetched + timedelta(hours=1))
    assert cache.reminders.list(OWNER) == ([late], fetched + timedelta(hours=1))

    cache.reminders.replace_all(OWNER, [], fetched + timedelta(hours=2))
    assert cache.reminders.list(OWNER) == ([], fetched + timedelta(hours=2))


def test_reminders_are_per_owner(cache: Cache, identity_number: str) -> None:
    fetched = datetime(2025, 3, 2, 8, 0, tzinfo=UTC)
    mine = _reminder("1", "2025-04-01", identity_number)
    cache.reminders.replace_all(OWNER, [mine], fetched)
    cache.reminders.replace_all("someone.else", [], fetched)

    assert cache.reminders.list(OWNER) == ([mine], fetched)
    assert cache.reminders.list("someone.else") == ([], fetched)


def test_a_bad_reminder_list_leaves_the_old_one(cache: Cache, identity_number: str) -> None:
    fetched = datetime(2025, 3, 2, 8, 0, tzinfo=UTC)
    mine = _reminder("1", "2025-04-01", identity_number)
    cache.reminders.replace_all(OWNER, [mine], fetched)

    with pytest.raises(KeyError):
        cache.reminders.replace_all(OWNER, [{"registry": "breast"}], fetched)  # no id

    assert cache.reminders.list(OWNER) == ([mine], fetched)


def test_reminder_answers_wait_until_sent_and_a_refused_one_is_not_sent_again(
    cache: Cache,
) -> None:
    answers = cache.reminder_answers
    answers.add(OWNER, "r-1", "not_ours", "Only the biopsy was taken here.")
    answers.add(OWNER, "r-2", "patient_moved", "Moved to Bergen.")
    answers.add("someone.else", "r-3", "not_ours", "Theirs.")
    assert [a.reminder_id for a in answers.unsent(OWNER)] == ["r-1", "r-2"]
    assert answers.answered_ids(OWNER) == {"r-1", "r-2"}

    answers.mark_sent(OWNER, "r-1")
    answers.mark_failed(OWNER, "r-2", "There is no such reminder for your unit.")
    assert answers.unsent(OWNER) == []  # sent, or refused: neither goes again by itself
    (refused,) = answers.refused(OWNER)
    assert (refused.reminder_id, refused.attempts) == ("r-2", 1)
    assert refused.last_error == "There is no such reminder for your unit."
    # A refused answer no longer hides its reminder; a sent one does.
    assert answers.answered_ids(OWNER) == {"r-1"}

    # Answering again replaces the refused answer and sends it again.
    again = answers.add(OWNER, "r-2", "not_ours", "Never treated here.")
    assert (again.answer, again.reason, again.last_error, again.attempts) == (
        "not_ours",
        "Never treated here.",
        None,
        0,
    )
    assert [a.reminder_id for a in answers.unsent(OWNER)] == ["r-2"]
    assert answers.refused(OWNER) == []


def test_two_users_answering_the_same_reminder_keep_their_own_answers(cache: Cache) -> None:
    """Each user of the computer answers for themselves: the second user's answer neither
    replaces the first one's row nor makes it go again."""
    answers = cache.reminder_answers
    answers.add(OWNER, "r-1", "not_ours", "Only the biopsy was taken here.")
    answers.mark_sent(OWNER, "r-1")

    theirs = answers.add("colleague", "r-1", "patient_moved", "Moved to Bergen.")

    assert (theirs.owner, theirs.answer, theirs.sent_at) == ("colleague", "patient_moved", None)
    assert answers.unsent(OWNER) == []  # ours was sent: not sent again
    assert answers.answered_ids(OWNER) == {"r-1"}
    (waiting,) = answers.unsent("colleague")
    assert (waiting.reminder_id, waiting.reason) == ("r-1", "Moved to Bergen.")

    answers.mark_failed("colleague", "r-1", "Answered differently by your unit.")
    assert answers.refused(OWNER) == []  # the refusal is the colleague's, not ours
    assert [a.owner for a in answers.refused("colleague")] == ["colleague"]
