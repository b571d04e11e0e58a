"""Receipts fetched by cursor beside our own: stored once, the race with our own outbox, this
computer's copy of the message read with the receipt, verdicts checked again, keys read
read-only."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from local_cache import Cache, MessageState, Receipt, open_cache
from local_cache.receipt_keys import SavedKey, read_saved_keys
from tests.cache.builders import OWNER, receipt_for, sending

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _remote(receipt_id: str, message_id: str, unit: str = "unit-1") -> dict:
    """A receipt of a message this computer never had (sent from another one)."""
    return {
        "receipt_id": receipt_id,
        "message_id": message_id,
        "registry": "breast",
        "form": "assessment",
        "version": 1,
        "received_at": "2026-03-01T10:15:00Z",
        "body_sha256": "cd" * 32,
        "unit_id": unit,
        "key_id": "0123456789abcdef",
        "signature": "x" * 86,
    }


def test_fetched_receipts_are_stored_once_and_counted_when_new(cache: Cache) -> None:
    first, second = _remote("R-1", "M-1"), _remote("R-2", "M-2")

    assert cache.receipts.store_fetched(OWNER, [(first, "valid"), (second, "invalid")], NOW) == 2
    assert cache.receipts.store_fetched(OWNER, [(first, "valid"), (second, "valid")], NOW) == 0

    stored = {r.receipt_id: r for r in cache.receipts.list(OWNER)}
    assert stored["R-1"].origin == "server" and stored["R-1"].verdict == "valid"
    assert stored["R-2"].verdict == "invalid"  # the first verdict stays
    assert stored["R-1"].local_owner is None and stored["R-1"].local_body is None
    assert stored["R-1"].raw == first


def test_our_receipt_fetched_before_our_outbox_stored_it_becomes_ours(cache: Cache) -> None:
    """The server committed our message but we did not store its answer; the unit's receipts
    were fetched; then the resend's replayed receipt is recorded: no failure, one row."""
    record = sending(cache)
    receipt = receipt_for(record, "R-ours")
    assert cache.receipts.store_fetched("someone.else", [(receipt, None)], NOW) == 1
    fetched = cache.receipts.get("R-ours")
    assert fetched.origin == "server" and fetched.local_owner == OWNER  # the copy is here

    cache.messages.record_outcomes([Receipt(record.id, receipt, "valid")])

    [row] = cache.receipts.list(OWNER)
    assert (row.receipt_id, row.origin, row.owner, row.verdict) == (
        "R-ours",
        "this_pc",
        OWNER,
        "valid",
    )
    assert cache.messages.get(record.id).state is MessageState.RECEIPTED
    assert row.local_body is not None and row.local_body["message_id"] == record.id


def test_a_verdict_found_earlier_is_kept_when_none_is_found_now(cache: Cache) -> None:
    record = sending(cache)
    receipt = receipt_for(record, "R-1")
    cache.receipts.store_fetched(OWNER, [(receipt, "valid")], NOW)
    cache.messages.record_outcomes([Receipt(record.id, receipt, None)])
    assert cache.receipts.get("R-1").verdict == "valid"


def test_a_fetched_receipt_id_for_another_message_still_fails_the_outcome(cache: Cache) -> None:
    record = sending(cache)
    cache.receipts.store_fetched(OWNER, [(_remote("R-1", "M-elsewhere"), "valid")], NOW)

    with pytest.raises(IntegrityError):
        cache.messages.record_outcomes([Receipt(record.id, receipt_for(record, "R-1"))])

    assert cache.messages.get(record.id).state is MessageState.SENDING


def test_the_list_reads_the_owners_copy_and_the_units_receipts(cache: Cache) -> None:
    mine = sending(cache)
    theirs = sending(cache, owner="colleague")
    cache.messages.record_outcomes([Receipt(mine.id, receipt_for(mine, "R-mine"))])
    cache.messages.record_outcomes([Receipt(theirs.id, receipt_for(theirs, "R-theirs"))])
    cache.receipts.store_fetched("colleague", [(_remote("R-far", "M-far"), "valid")], NOW)
    cache.receipts.store_fetched("colleague", [(_remote("R-x", "M-x", unit="unit-2"), None)], NOW)

    own = {r.receipt_id: r for r in cache.receipts.list(OWNER)}
    assert set(own) == {"R-mine"}
    unit = {r.receipt_id: r for r in cache.receipts.list(OWNER, unit_id="unit-1")}
    assert set(unit) == {"R-mine", "R-theirs", "R-far"}
    assert unit["R-mine"].local_body == cache.messages.get(mine.id).body
    # A colleague's message is on this computer, but its patient is not read for us.
    assert unit["R-theirs"].local_owner == "colleague" and unit["R-theirs"].local_body is None
    assert unit["R-far"].local_owner is None
    assert "local_body" not in repr(unit["R-mine"])  # never logged


def test_verdicts_can_be_found_again(cache: Cache) -> None:
    verdicts = {"R-1": None, "R-2": "unknown_key", "R-3": "valid"}
    receipts = [(_remote(rid, rid.replace("R", "M")), v) for rid, v in verdicts.items()]
    cache.receipts.store_fetched(OWNER, receipts, NOW)
    pending = cache.receipts.with_verdicts([None, "unknown_key"])
    assert sorted(r.receipt_id for r in pending) == ["R-1", "R-2"]

    cache.receipts.set_verdicts({"R-1": "valid", "R-2": "invalid"})

    assert cache.receipts.with_verdicts([None, "unknown_key"]) == []
    assert cache.receipts.get("R-2").verdict == "invalid"


def test_saved_keys_are_read_without_creating_or_changing_anything(
    cache: Cache, cache_path: Path, tmp_path: Path
) -> None:
    cache.receipt_keys.save_keys("https://registry", {"abc": "key-text"}, NOW)
    cache.close()
    before = cache_path.read_bytes()

    assert read_saved_keys(cache_path) == [SavedKey("abc", "key-text", "https://registry")]
    assert cache_path.read_bytes() == before

    missing = tmp_path / "nothing" / "cache.sqlite3"
    assert read_saved_keys(missing) == []
    assert not missing.parent.exists()
    older = tmp_path / "older.sqlite3"
    sqlite3.connect(older).close()  # a cache from before the keys table
    assert read_saved_keys(older) == []


def test_fetched_keys_are_kept_per_server_and_a_saved_key_is_never_replaced(
    cache: Cache,
) -> None:
    keys = cache.receipt_keys
    keys.save_keys("https://registry", {"k1": "key-one"}, NOW)
    keys.save_keys("https://elsewhere", {"k2": "key-two", "k1": "key-one"}, NOW)
    assert keys.keys("https://registry") == {"k1": "key-one"}
    assert keys.keys("https://elsewhere") == {"k1": "key-one", "k2": "key-two"}
    assert keys.keys("https://never-reached") == {}

    keys.save_keys("https://registry", {"k1": "another-text"}, NOW)  # same id, other key
    assert keys.keys("https://registry") == {"k1": "key-one"}
    assert [(k.key_id, k.server_url) for k in keys.saved()] == [
        ("k1", "https://elsewhere"),
        ("k1", "https://registry"),
        ("k2", "https://elsewhere"),
    ]


def test_an_older_cache_opened_again_still_lists_its_receipts(cache_path: Path) -> None:
    first = open_cache(cache_path)
    record = sending(first)
    first.messages.record_outcomes([Receipt(record.id, receipt_for(record, "R-1"))])
    first.close()
    again = open_cache(cache_path)
    try:
        [row] = again.receipts.list(OWNER)
        assert row.verdict is None and row.origin == "this_pc"
    finally:
        again.close()


def test_stored_ids_names_the_receipts_already_here(cache: Cache) -> None:
    cache.receipts.store_fetched(OWNER, [(_remote("R-1", "M-1"), "valid")], NOW)
    ids = ["R-1", "R-2", *(f"R-x{i}" for i in range(600))]  # more than one IN (...) list
    assert cache.receipts.stored_ids(ids) == {"R-1"}
