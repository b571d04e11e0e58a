"""Each clinician's keys on this computer, wrapped by their password (Argon2id, AES-256-GCM).

One row per (server, user): the data key and the outbox key (local_cache.crypto), sealed
together under a key derived from the password, with the Argon2id costs stored per row so
they can be raised later without locking anyone out. The outbox key is sealed a second time
under the escrow key the registry server keeps for the user (sent only to that user, after an
online sign-in): with a forgotten password, the unsent messages can still be sent; the drafts,
under the data key, are lost.

Opening the row is also the offline sign-in check: a wrong password does not open it.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass
from enum import Enum

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from sqlalchemy import Engine, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from local_cache.crypto import KEY_BYTES, UserKeys, new_key, open_sealed, seal
from local_cache.database import read_transaction, write_transaction
from local_cache.schema import user_keys as t
from local_cache.schema import utc_now

_SALT_BYTES = 16


@dataclass(frozen=True)
class KdfCost:
    """Argon2id costs. The default takes about 0.3 s on a ward PC of 2026; tests lower it
    through the client setting (desktop_app.config: kdf_time_cost, kdf_memory_kib)."""

    time_cost: int = 3
    memory_kib: int = 96 * 1024
    parallelism: int = 1


class Unlock(Enum):
    OPENED = "opened"  # the password opened this computer's keys
    CREATED = "created"  # first sign-in here: new keys
    WRONG_PASSWORD = "wrong_password"  # keys here, and this password does not open them
    NO_KEYS = "no_keys"  # never signed in here


@dataclass(frozen=True)
class UnlockResult:
    outcome: Unlock
    keys: UserKeys | None = None


def _kek(password: str, salt: bytes, time_cost: int, memory_kib: int, parallelism: int) -> bytes:
    return hash_secret_raw(
        password.encode("utf-8"),
        salt,
        time_cost=time_cost,
        memory_cost=memory_kib,
        parallelism=parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def _label(server_url: str, username: str, what: str) -> bytes:
    return f"user_keys|{what}|{server_url}|{username}".encode()


def _key(server_url: str) -> str:
    return server_url.rstrip("/")


class UserKeyRepository:
    def __init__(self, engine: Engine, cost: KdfCost | None = None) -> None:
        self._engine = engine
        self._cost = cost or KdfCost()
        # The offline sign-in check opens the keys; the session opened right after needs the
        # same result: kept a few seconds, used once, so Argon2id runs once per sign-in.
        self._recent: dict[tuple[str, str], tuple[bytes, float, UnlockResult]] = {}
        self._recent_lock = threading.Lock()

    def exists(self, server_url: str, username: str) -> bool:
        query = select(t.c.username).where(
            t.c.server_url == _key(server_url), t.c.username == username
        )
        with read_transaction(self._engine) as conn:
            return conn.execute(query).first() is not None

    def unlock(self, server_url: str, username: str, password: str) -> UnlockResult:
        """Open the user's keys with their password (the offline sign-in check too)."""
        server_url = _key(server_url)
        fingerprint = hashlib.sha256(password.encode("utf-8")).digest()
        with self._recent_lock:
            kept = self._recent.pop((server_url, username), None)
        if kept is not None and kept[0] == fingerprint and time.monotonic() - kept[1] < 10:
            return kept[2]
        return self._unlock(server_url, username, password)

    def check(self, server_url: str, username: str, password: str) -> bool:
        """The offline sign-in check: the password opens the keys. The opened keys are kept
        a few seconds for the session opened right after (unlock() takes them once), so
        Argon2id runs once per sign-in; forget_recent() drops them sooner."""
        server_url = _key(server_url)
        result = self._unlock(server_url, username, password)
        if result.outcome is not Unlock.OPENED:
            return False
        fingerprint = hashlib.sha256(password.encode("utf-8")).digest()
        with self._recent_lock:
            self._recent[(server_url, username)] = (fingerprint, time.monotonic(), result)
        return True

    def forget_recent(self) -> None:
        with self._recent_lock:
            self._recent.clear()

    def _unlock(self, server_url: str, username: str, password: str) -> UnlockResult:
        query = select(t).where(t.c.server_url == server_url, t.c.username == username)
        with read_transaction(self._engine) as conn:
            row = conn.execute(query).one_or_none()
        if row is None:
            return UnlockResult(Unlock.NO_KEYS)
        kek = _kek(
            password, row.kdf_salt, row.kdf_time_cost, row.kdf_memory_kib, row.kdf_parallelism
        )
        try:
            both = open_sealed(kek, row.wrapped_keys, _label(server_url, username, "keys"))
        except (InvalidTag, ValueError):
            return UnlockResult(Unlock.WRONG_PASSWORD)
        return UnlockResult(Unlock.OPENED, UserKeys(both[:KEY_BYTES], both[KEY_BYTES:]))

    def create(
        self,
        server_url: str,
        username: str,
        password: str,
        escrow_key: bytes | None,
        *,
        outbox_key: bytes | None = None,
    ) -> UserKeys:
        """New keys for the user (replacing any here): a new data key, and a new outbox key
        unless one recovered from escrow is given (its queued bodies stay readable)."""
        keys = UserKeys(new_key(), outbox_key or new_key())
        self._store(server_url, username, password, keys, escrow_key, replace=True)
        return keys

    def rewrap(self, server_url: str, username: str, password: str, keys: UserKeys) -> None:
        """Seal the same keys under a new password (a password change: nothing re-encrypted)."""
        self._store(server_url, username, password, keys, None, replace=False)

    def store_escrow(
        self, server_url: str, username: str, keys: UserKeys, escrow_key: bytes
    ) -> None:
        """Seal the outbox key under the registry's escrow key (after each online sign-in, so
        a new escrow key, or a row made offline, is caught up)."""
        server_url = _key(server_url)
        blob = seal(escrow_key, keys.outbox_key, _label(server_url, username, "escrow"))
        with write_transaction(self._engine) as conn:
            conn.execute(
                update(t)
                .where(t.c.server_url == server_url, t.c.username == username)
                .values(escrow_wrapped_outbox_key=blob, updated_at=utc_now())
            )

    def recover_outbox_key(self, server_url: str, username: str, escrow_key: bytes) -> bytes | None:
        """The outbox key, opened with the escrow key (None: no escrow copy, or another key)."""
        server_url = _key(server_url)
        query = select(t.c.escrow_wrapped_outbox_key).where(
            t.c.server_url == server_url, t.c.username == username
        )
        with read_transaction(self._engine) as conn:
            blob = conn.execute(query).scalar_one_or_none()
        if blob is None:
            return None
        try:
            return open_sealed(escrow_key, blob, _label(server_url, username, "escrow"))
        except (InvalidTag, ValueError):
            return None

    def _store(
        self,
        server_url: str,
        username: str,
        password: str,
        keys: UserKeys,
        escrow_key: bytes | None,
        *,
        replace: bool,
    ) -> None:
        if keys.data_key is None:
            raise ValueError("Only unlocked keys can be stored.")
        server_url = _key(server_url)
        with self._recent_lock:
            self._recent.pop((server_url, username), None)  # an old password opens nothing now
        salt = os.urandom(_SALT_BYTES)
        cost = self._cost
        kek = _kek(password, salt, cost.time_cost, cost.memory_kib, cost.parallelism)
        now = utc_now()
        row = {
            "kdf_salt": salt,
            "kdf_time_cost": cost.time_cost,
            "kdf_memory_kib": cost.memory_kib,
            "kdf_parallelism": cost.parallelism,
            "wrapped_keys": seal(
                kek, keys.data_key + keys.outbox_key, _label(server_url, username, "keys")
            ),
            "updated_at": now,
        }
        if escrow_key is not None:
            row["escrow_wrapped_outbox_key"] = seal(
                escrow_key, keys.outbox_key, _label(server_url, username, "escrow")
            )
        elif replace:
            row["escrow_wrapped_outbox_key"] = None
        statement = sqlite_insert(t).values(
            server_url=server_url, username=username, created_at=now, **row
        )
        statement = statement.on_conflict_do_update(
            index_elements=[t.c.server_url, t.c.username], set_=row
        )
        with write_transaction(self._engine) as conn:
            conn.execute(statement)
