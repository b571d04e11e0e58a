"""The canonical bytes of a message body, and the hash a receipt carries."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def canonical_body(body: Mapping[str, Any]) -> bytes:
    """JSON with sorted keys, no spaces, UTF-8; client and server hash exactly these bytes."""
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def body_sha256(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_body(body)).hexdigest()
