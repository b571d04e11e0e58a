"""Encryption at rest: each clinician's payloads under their own keys (AES-256-GCM).

Two keys per user and computer (see local_cache.user_keys for how they are kept):

* the **data key** encrypts what only the signed-in clinician works on: draft values, what a
  move to a newer form version changed, the reminders fetched for them. Locking the screen
  drops it.
* the **outbox key** encrypts what is on its way to the registry or came back from it: the
  frozen body of a submitted message, the server's issues, the reason given with a reminder
  answer. The sync engine keeps only this key while the screen is locked, so queued messages
  are still sent; it opens nothing the clinician has not already submitted. It is also
  wrapped by a key the registry server holds for the user, so a forgotten password does not
  strand unsent messages (desktop_app.user_keys).

Associated data binds each ciphertext to its column, owner and record id, so a blob copied to
another row, user or column is refused rather than shown. The state is not bound: the sync
engine moves a message through its states while locked, without the data key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from local_cache.errors import CacheLocked, PayloadRefused

KEY_BYTES = 32
_NONCE_BYTES = 12
# Blob format: version byte, key byte, nonce, ciphertext with its GCM tag.
_VERSION = b"\x01"
_DATA, _OUTBOX = b"D", b"O"

# Columns whose payloads the outbox key opens (everything else needs the data key).
OUTBOX_COLUMNS = frozenset({"messages.body", "messages.server_issues", "reminder_answers.reason"})


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def payload_context(column: str, owner: str, record_id: str) -> str:
    """The associated data of one payload: which column of which user's which record."""
    return f"{column}|{owner}|{record_id}"


def to_json(obj: Any) -> bytes:
    # allow_nan=False: NaN is not JSON and the server would refuse the message later.
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
        "utf-8"
    )


def seal(key: bytes, plaintext: bytes, associated: bytes) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, associated)


def open_sealed(key: bytes, blob: bytes, associated: bytes) -> bytes:
    """The plaintext; InvalidTag when the key is wrong or a byte was changed."""
    return AESGCM(key).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], associated)


def _derived(key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=KEY_BYTES, salt=None, info=purpose).derive(key)


@dataclass(frozen=True)
class UserKeys:
    """A clinician's unwrapped keys; `data_key` is None while the screen is locked."""

    data_key: bytes | None
    outbox_key: bytes

    def locked(self) -> UserKeys:
        return UserKeys(None, self.outbox_key)


class EncryptingCodec:
    """The payload codec of one signed-in user (local_cache.codec.PayloadCodec)."""

    encrypted = True

    def __init__(self, keys: UserKeys) -> None:
        self._keys = keys
        self._forgotten = False
        # Patients are looked up by a keyed hash of their number (never by decrypting every
        # row); derived from the outbox key so the hash stays the same while locked.
        self._lookup_key = _derived(keys.outbox_key, b"registry-desktop patient lookup v1")

    @property
    def unlocked(self) -> bool:
        return self._keys.data_key is not None

    def lock(self) -> None:
        """Drop the data key: drafts and reminders stay closed until unlock()."""
        self._keys = self._keys.locked()

    def unlock(self, keys: UserKeys) -> None:
        if self._forgotten or keys.outbox_key != self._keys.outbox_key:
            raise ValueError("These keys belong to another user or computer.")
        self._keys = keys

    def forget(self) -> None:
        """The session has ended: drop both keys; nothing opens through this codec again."""
        self._forgotten = True
        self._keys = UserKeys(None, b"")
        self._lookup_key = b""

    @property
    def keys(self) -> UserKeys:
        return self._keys

    def encode(self, obj: Any, context: str) -> bytes:
        tag, key = self._key_for(context)
        return _VERSION + tag + seal(key, to_json(obj), context.encode("utf-8"))

    def decode(self, data: bytes, context: str) -> Any:
        tag, key = self._key_for(context)
        if data[:2] != _VERSION + tag:
            raise PayloadRefused(context)
        try:
            plaintext = open_sealed(key, bytes(data[2:]), context.encode("utf-8"))
        except (InvalidTag, ValueError):
            raise PayloadRefused(context) from None
        return json.loads(plaintext.decode("utf-8"))

    def patient_key(self, patient_id: str) -> str:
        return hmac.new(self._lookup_key, patient_id.encode("utf-8"), hashlib.sha256).hexdigest()

    def _key_for(self, context: str) -> tuple[bytes, bytes]:
        column = context.split("|", 1)[0]
        if self._forgotten:
            raise CacheLocked(column)
        if column in OUTBOX_COLUMNS:
            return _OUTBOX, self._keys.outbox_key
        if self._keys.data_key is None:
            raise CacheLocked(column)
        return _DATA, self._keys.data_key


def is_encrypted(blob: bytes) -> bool:
    return blob[:1] == _VERSION and blob[1:2] in (_DATA, _OUTBOX)
