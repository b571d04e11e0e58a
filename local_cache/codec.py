"""How payloads that can identify a patient are turned into bytes for the cache and back.

Every identifying payload (draft values, the frozen body, server issues, reminder patient data)
passes through one codec, so encryption at rest replaces the codec and touches no caller.
"""

from __future__ import annotations

import json
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class PayloadCodec(Protocol):
    def encode(self, obj: Any) -> bytes: ...

    def decode(self, data: bytes) -> Any: ...


class JsonPayloadCodec:
    """Plain UTF-8 JSON: the default until payloads are encrypted at rest."""

    def encode(self, obj: Any) -> bytes:
        # allow_nan=False: NaN is not JSON and the server would refuse the message later.
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
            "utf-8"
        )

    def decode(self, data: bytes) -> Any:
        return json.loads(data.decode("utf-8"))
