"""Identifying payloads go through the codec; the plain columns stay queryable.

The encrypting codec is the real one (local_cache.crypto), bound to the owner through
UserCache as the signed-in clinician's cache is."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local_cache import JsonPayloadCodec, MessageState, PayloadCodec, open_cache
from local_cache.crypto import EncryptingCodec, UserKeys, new_key
from local_cache.user_cache import UserCache
from tests.cache.builders import OWNER, body_for

KEYS = UserKeys(new_key(), new_key())


def _opened(path: Path, codec: PayloadCodec | None) -> Any:
    """The owner's cache: encrypting (bound to OWNER), or plain (codec None)."""
    cache = open_cache(path)
    if codec is None:
        return cache, cache
    return cache, UserCache(cache, OWNER, codec)  # type: ignore[arg-type]


def _raw_bytes(path: Path) -> bytes:
    """Every column of every row, as SQLite stores it."""
    chunks: list[bytes] = []
    with sqlite3.connect(path) as raw:
        for (table,) in raw.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            for row in raw.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, bytes):
                        chunks.append(value)
                    elif value is not None:
                        chunks.append(str(value).encode("utf-8"))
    return b"\n".join(chunks)


def _store_patient_everywhere(
    path: Path, codec: PayloadCodec | None, identity_number: str
) -> str:
    file, cache = _opened(path, codec)
    try:
        values = {"patient_id": identity_number, "patient_name": "Kari Testdata"}
        record = cache.messages.create_draft(OWNER, "breast", "assessment", 1, values)
        cache.messages.submit(record.id, body_for(record, values))
        cache.messages.claim_for_sending(OWNER)
        issue = {"path": "patient_id", "key": "x", "message": f"Check {identity_number}"}
        cache.messages.mark_returned_to_draft(record.id, [issue], "The message has errors.")
        # A second one stays queued, so a frozen body is in the file too.
        waiting = cache.messages.create_draft(OWNER, "breast", "surgery", 1, values)
        waiting = cache.messages.submit(waiting.id, body_for(waiting, values))
        reminder = {
            "id": "r1",
            "registry": "breast",
            "form": "surgery",
            "patient_id": identity_number,
            "patient_name": "Kari Testdata",
            "reason": "No surgery report",
            "due_date": "2025-04-01",
            "created_at": "2025-03-01T00:00:00Z",
        }
        cache.reminders.replace_all(OWNER, [reminder], datetime.now(UTC))

        # Reading back through the codec gives the plain values.
        again = cache.messages.get(record.id)
        assert again.values == values and again.state is MessageState.DRAFT
        assert again.server_issues == [issue]
        assert cache.messages.get(waiting.id).body == body_for(waiting, values)
        assert cache.reminders.list(OWNER)[0] == [reminder]
        assert [r.id for r in cache.messages.find_by_patient(OWNER, "breast", "surgery",
                                                              identity_number)] == [waiting.id]
        return record.id
    finally:
        file.close()


def test_a_codec_keeps_identifying_data_out_of_the_file(
    tmp_path: Path, identity_number: str
) -> None:
    path = tmp_path / "cache.sqlite3"
    _store_patient_everywhere(path, EncryptingCodec(KEYS), identity_number)

    raw = _raw_bytes(path) + path.read_bytes()
    assert identity_number.encode() not in raw
    assert b"Kari Testdata" not in raw


def test_the_json_codec_stores_plain_json(tmp_path: Path, identity_number: str) -> None:
    # The control for the test above: without an encrypting codec the number is in the file.
    path = tmp_path / "cache.sqlite3"
    _store_patient_everywhere(path, None, identity_number)
    assert identity_number.encode() in _raw_bytes(path)


def test_plain_columns_stay_plain_for_queries(tmp_path: Path, identity_number: str) -> None:
    path = tmp_path / "cache.sqlite3"
    message_id = _store_patient_everywhere(path, EncryptingCodec(KEYS), identity_number)
    with sqlite3.connect(path) as raw:
        row = raw.execute(
            "SELECT state, registry, form, owner FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
    assert row == ("draft", "breast", "assessment", OWNER)


def test_json_codec_round_trips_unicode_and_refuses_nan() -> None:
    codec = JsonPayloadCodec()
    value = {"note": "blåbær ✓", "n": [1, 2.5, None, True]}
    assert codec.decode(codec.encode(value)) == value
    assert isinstance(codec, PayloadCodec)
    try:
        codec.encode({"x": float("nan")})
    except ValueError:
        pass
    else:
        raise AssertionError("NaN must not be stored: the server would refuse the message")


def test_a_removed_answer_kept_for_the_user_goes_through_the_codec(
    tmp_path: Path, identity_number: str
) -> None:
    # A migration that removed the identity number field: its old answer is kept in the draft.
    path = tmp_path / "cache.sqlite3"
    file, cache = _opened(path, EncryptingCodec(KEYS))
    try:
        record = cache.messages.create_draft(OWNER, "breast", "assessment", 1, {})
        removed = {"kind": "removed", "field": "old_id", "old": identity_number, "new": None}
        cache.messages.migrate_draft(record.id, 2, {}, changes=[removed])
        assert cache.messages.get(record.id).migration_changes == [removed]
        blob = cache.messages._engine.connect().exec_driver_sql(
            "SELECT migration_changes_blob FROM messages"
        ).scalar_one()
        assert blob is not None  # control: it is stored
    finally:
        file.close()

    assert identity_number.encode() not in _raw_bytes(path)
