"""How payloads that can identify a patient are turned into bytes for the cache and back.

Every identifying payload (draft values, the frozen body, server issues, reminder patient data)
passes through one codec with its context (local_cache.crypto.payload_context: column, owner,
record id). The signed-in clinician's cache uses local_cache.crypto.EncryptingCodec; the plain
codec here is for tools and tests that read a cache without a user.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, Protocol, runtime_checkable

from local_cache.crypto import to_json


@runtime_checkable
class PayloadCodec(Protocol):
    encrypted: bool

    def encode(self, obj: Any, context: str) -> bytes: ...

    def decode(self, data: bytes, context: str) -> Any: ...

    def patient_key(self, patient_id: str) -> str: ...


class JsonPayloadCodec:
    """Plain UTF-8 JSON, no user: never used for a signed-in clinician's data."""

    encrypted = False

    def encode(self, obj: Any, context: str = "") -> bytes:
        return to_json(obj)

    def decode(self, data: bytes, context: str = "") -> Any:
        return json.loads(bytes(data).decode("utf-8"))

    def patient_key(self, patient_id: str) -> str:
        return hmac.new(b"\0" * 32, patient_id.encode("utf-8"), hashlib.sha256).hexdigest()
