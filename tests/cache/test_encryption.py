"""Encryption at rest: each clinician's payloads under their own keys, bound to their rows.

Real SQLite files and the real codec; user B shares the OS account and the data folder with A.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_cache import Cache, MessageState, open_cache
from local_cache.crypto import EncryptingCodec, UserKeys, new_key
from local_cache.errors import CacheLocked, PayloadRefused
from local_cache.user_cache import UserCache
from local_cache.user_keys import KdfCost, Unlock
from tests.cache.builders import body_for

A, B = "clinician.a", "clinician.b"
CHEAP = KdfCost(time_cost=1, memory_kib=1024)
SERVER = "https://registry.test"


def _user(cache: Cache, owner: str, keys: UserKeys | None = None) -> UserCache:
    return UserCache(cache, owner, EncryptingCodec(keys or UserKeys(new_key(), new_key())))


@pytest.fixture
def file(tmp_path: Path) -> Iterator[Cache]:
    cache = open_cache(tmp_path / "data" / "cache.sqlite3", kdf_cost=CHEAP)
    yield cache
    cache.close()


def test_user_b_cannot_list_open_or_change_a_s_drafts(file: Cache, identity_number: str) -> None:
    a, b = _user(file, A), _user(file, B)
    draft = a.messages.create_draft(
        None, "breast", "assessment", 1, {"patient_id": identity_number}
    )

    assert b.messages.list(None) == []
    assert b.messages.find_by_patient(None, "breast", "assessment", identity_number) == []
    for attempt in (
        lambda: b.messages.get(draft.id),
        lambda: b.messages.save_values(draft.id, {"x": 1}),
        lambda: b.messages.submit(draft.id, body_for(draft)),
        lambda: b.messages.delete_draft(draft.id),
    ):
        with pytest.raises(KeyError):
            attempt()
    with pytest.raises(KeyError):  # an owner argument naming another user is refused
        b.messages.list(A)
    assert a.messages.get(draft.id).values == {"patient_id": identity_number}


def test_a_s_ciphertext_does_not_open_under_b_s_keys(file: Cache, identity_number: str) -> None:
    a, b = _user(file, A), _user(file, B)
    draft = a.messages.create_draft(
        None, "breast", "assessment", 1, {"patient_id": identity_number}
    )
    # B copies A's blob onto a row of their own: refused, not shown.
    mine = b.messages.create_draft(None, "breast", "assessment", 1, {})
    with sqlite3.connect(file.path) as raw:
        raw.execute(
            "UPDATE messages SET values_blob = (SELECT values_blob FROM messages WHERE id = ?) "
            "WHERE id = ?",
            (draft.id, mine.id),
        )
    with pytest.raises(PayloadRefused):
        b.messages.get(mine.id)


def test_a_changed_byte_is_refused_not_shown(file: Cache, identity_number: str) -> None:
    a = _user(file, A)
    draft = a.messages.create_draft(
        None, "breast", "assessment", 1, {"patient_id": identity_number}
    )
    with sqlite3.connect(file.path) as raw:
        query = "SELECT values_blob FROM messages WHERE id = ?"
        (blob,) = raw.execute(query, (draft.id,)).fetchone()
        changed = bytearray(blob)
        changed[-1] ^= 0x01
        raw.execute("UPDATE messages SET values_blob = ? WHERE id = ?", (bytes(changed), draft.id))
    with pytest.raises(PayloadRefused):
        a.messages.get(draft.id)
    # A plain JSON payload put in its place is refused as well (not taken as written by us).
    with sqlite3.connect(file.path) as raw:
        raw.execute(
            "UPDATE messages SET values_blob = ? WHERE id = ?",
            (json.dumps({"patient_id": "x"}).encode(), draft.id),
        )
    with pytest.raises(PayloadRefused):
        a.messages.get(draft.id)


def test_locked_the_queue_still_goes_but_drafts_and_reminders_stay_closed(
    file: Cache, identity_number: str
) -> None:
    keys = UserKeys(new_key(), new_key())
    a = _user(file, A, keys)
    values = {"patient_id": identity_number}
    draft = a.messages.create_draft(None, "breast", "assessment", 1, values)
    queued = a.messages.create_draft(None, "breast", "surgery", 1, values)
    a.messages.submit(queued.id, body_for(queued, values))

    a.codec.lock()

    claimed = a.messages.claim_outgoing(None)
    assert [(m.id, m.body["values"]) for m in claimed] == [(queued.id, values)]
    with pytest.raises(CacheLocked):
        a.messages.get(draft.id)
    with pytest.raises(CacheLocked):
        a.messages.save_values(draft.id, values)
    a.codec.unlock(keys)
    assert a.messages.get(draft.id).values == values


def test_the_patient_lookup_is_a_keyed_hash_not_the_number(
    file: Cache, identity_number: str
) -> None:
    a, b = _user(file, A), _user(file, B)
    a.messages.create_draft(None, "breast", "assessment", 1, {"patient_id": identity_number})
    b.messages.create_draft(None, "breast", "assessment", 1, {"patient_id": identity_number})
    with sqlite3.connect(file.path) as raw:
        keys = [row[0] for row in raw.execute("SELECT patient_key FROM messages ORDER BY owner")]
    assert len(set(keys)) == 2 and all(len(k) == 64 for k in keys)  # per user, never equal
    assert identity_number not in "".join(keys)


def test_keys_open_with_the_password_only_and_survive_a_password_change(file: Cache) -> None:
    store = file.user_keys
    assert store.unlock(SERVER, A, "pw").outcome is Unlock.NO_KEYS
    keys = store.create(SERVER, A, "old password", escrow_key=None)

    assert store.unlock(SERVER, A, "wrong").outcome is Unlock.WRONG_PASSWORD
    opened = store.unlock(SERVER, A, "old password")
    assert (opened.outcome, opened.keys) == (Unlock.OPENED, keys)

    store.rewrap(SERVER, A, "new password", keys)
    assert store.unlock(SERVER, A, "old password").outcome is Unlock.WRONG_PASSWORD
    assert store.unlock(SERVER, A, "new password").keys == keys
    with sqlite3.connect(file.path) as raw:
        row = raw.execute("SELECT kdf_time_cost, kdf_memory_kib FROM user_keys").fetchone()
    assert row == (1, 1024)  # the costs are stored per row


def test_a_forgotten_password_keeps_the_queue_and_loses_the_drafts(
    file: Cache, identity_number: str
) -> None:
    escrow = new_key()
    store = file.user_keys
    keys = store.create(SERVER, A, "forgotten", escrow_key=escrow)
    a = _user(file, A, keys)
    values = {"patient_id": identity_number}
    a.messages.create_draft(None, "breast", "assessment", 1, values)
    queued = a.messages.create_draft(None, "breast", "surgery", 1, values)
    a.messages.submit(queued.id, body_for(queued, values))

    # Reset on the server; this computer only has the escrow copy of the outbox key.
    assert store.recover_outbox_key(SERVER, A, new_key()) is None
    outbox_key = store.recover_outbox_key(SERVER, A, escrow)
    assert outbox_key == keys.outbox_key
    fresh = store.create(SERVER, A, "new", escrow, outbox_key=outbox_key)
    again = _user(file, A, fresh)
    assert again.start_over_without_data_key() == 1

    remaining = again.messages.list(None)
    assert [(r.id, r.state, r.values) for r in remaining] == [
        (queued.id, MessageState.QUEUED, values)
    ]
    assert [m.id for m in again.messages.claim_outgoing(None)] == [queued.id]


def test_plain_rows_of_an_earlier_version_are_encrypted_at_the_owner_s_sign_in(
    file: Cache, identity_number: str
) -> None:
    # Written by a version before encryption at rest: plain JSON through the unbound cache.
    file.messages.create_draft(A, "breast", "assessment", 1, {"patient_id": identity_number})
    assert identity_number.encode() in file.path.read_bytes() + _wal(file.path)

    a = _user(file, A)
    assert a.encrypt_plain_rows() == 1
    assert a.encrypt_plain_rows() == 0
    assert identity_number.encode() not in file.path.read_bytes() + _wal(file.path)
    found = a.messages.find_by_patient(None, "breast", "assessment", identity_number)
    assert [r.values for r in found] == [{"patient_id": identity_number}]


def _wal(path: Path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""


def test_the_cache_file_is_private(file: Cache) -> None:
    assert file.path.stat().st_mode & 0o777 == 0o600
    assert file.path.parent.stat().st_mode & 0o777 == 0o700


def test_an_earlier_version_s_open_folder_and_files_are_narrowed(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir(mode=0o755)
    path = folder / "cache.sqlite3"
    open_cache(path).close()
    for name in ("cache.sqlite3", "cache.sqlite3-wal", "cache.sqlite3-shm"):
        (folder / name).touch()
        (folder / name).chmod(0o644)
    folder.chmod(0o755)

    cache = open_cache(path)
    try:
        assert folder.stat().st_mode & 0o777 == 0o700
        for name in ("cache.sqlite3", "cache.sqlite3-wal", "cache.sqlite3-shm"):
            assert (folder / name).stat().st_mode & 0o777 == 0o600, name
    finally:
        cache.close()


def test_without_the_escrow_copy_starting_over_deletes_all_of_the_owner_s(
    file: Cache, identity_number: str
) -> None:
    a, b = _user(file, A), _user(file, B)
    values = {"patient_id": identity_number}
    queued = a.messages.create_draft(None, "breast", "surgery", 1, values)
    a.messages.submit(queued.id, body_for(queued, values))
    a.messages.create_draft(None, "breast", "assessment", 1, values)
    a.reminder_answers.add(None, "r1", "not_ours", "Flyttet")
    theirs = b.messages.create_draft(None, "breast", "assessment", 1, values)

    fresh = _user(file, A)  # new keys: nothing of the old ones opens
    assert fresh.delete_everything() == 2
    assert fresh.messages.list(None) == [] and fresh.reminder_answers.unsent(None) == []
    assert [r.id for r in b.messages.list(None)] == [theirs.id]  # another user's untouched
