"""Offline sign-in: each user's display profile, remembered after an online sign-in, and the
check of their password without the server.

The check opens the user's sealed keys (local_cache.user_keys, Argon2id); rows from before
encryption at rest still carry a scrypt verifier, used until the user's keys exist. Never the
password or a token is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets

from sqlalchemy import Engine, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from local_cache.database import read_transaction, write_transaction
from local_cache.schema import local_users as t
from local_cache.schema import utc_now
from local_cache.user_keys import UserKeyRepository

# OWASP's recommended minimum for scrypt (128 MiB, about a quarter second): the cache file of a
# shared PC may be copied and attacked offline.
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
_SALT_BYTES = 16
_KEY_BYTES = 32


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=2 * 128 * n * r * p,  # the default (32 MiB) is below what these costs need
        dklen=_KEY_BYTES,
    )


def _key(server_url: str) -> str:
    return server_url.rstrip("/")


class LocalUserRepository:
    def __init__(
        self, engine: Engine, keys: UserKeyRepository | None = None, *, scrypt_n: int = SCRYPT_N
    ) -> None:
        self._engine = engine
        self._keys = keys
        self._n = scrypt_n

    def remember(self, server_url: str, username: str, password: str, profile: dict) -> None:
        """Store (or renew) the profile after a successful online sign-in. With sealed keys
        (local_cache.user_keys, which the sign-in opens or makes next) they are the offline
        check, and no password hash is kept; without (tools), a scrypt verifier."""
        if self._keys is not None:
            salt, verifier = b"", b""
        else:
            salt = secrets.token_bytes(_SALT_BYTES)
            verifier = _scrypt(password, salt, self._n, SCRYPT_R, SCRYPT_P)
        row = {
            "server_url": _key(server_url),
            "username": username,
            "salt": salt,
            "verifier": verifier,
            "scrypt_n": self._n,
            "scrypt_r": SCRYPT_R,
            "scrypt_p": SCRYPT_P,
            "profile_json": json.dumps(profile, ensure_ascii=False),
            "updated_at": utc_now(),
        }
        upsert = sqlite_insert(t).values(**row)
        upsert = upsert.on_conflict_do_update(
            index_elements=[t.c.server_url, t.c.username],
            set_={k: v for k, v in row.items() if k not in ("server_url", "username")},
        )
        with write_transaction(self._engine) as conn:
            conn.execute(upsert)

    def verify(self, server_url: str, username: str, password: str) -> dict | None:
        """The remembered profile if the password matches, else None (also for unknown users)."""
        query = select(t).where(t.c.server_url == _key(server_url), t.c.username == username)
        with read_transaction(self._engine) as conn:
            row = conn.execute(query).one_or_none()
        if row is None:
            return None
        if self._keys is not None and self._keys.exists(server_url, username):
            opened = self._keys.check(server_url, username, password)
            return json.loads(row.profile_json) if opened else None
        if not row.verifier:
            return None
        candidate = _scrypt(password, row.salt, row.scrypt_n, row.scrypt_r, row.scrypt_p)
        if not hmac.compare_digest(candidate, row.verifier):
            return None
        return json.loads(row.profile_json)
