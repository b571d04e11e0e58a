"""A scripted ApiClient for the sync engine's rules (what the server answers is scripted, so
the engine's arithmetic and bookkeeping can be checked exactly), its receipts signed with a key
it publishes. The fixtures that run engines on it (bus, recorder, queue, run_engine) are in
tests/client/conftest.py.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from desktop_app.events import SyncStatusChanged
from desktop_app.forms import body_sha256
from desktop_app.receipt_signature import SigningKey, public_key_text
from desktop_app.sync.api_client import ApiClient, ItemResult, Receipted
from local_cache import Cache, MessageState

if TYPE_CHECKING:
    from tests.client.conftest import Recorder

OWNER = "demo"
Batch = list[tuple[str, dict]]
# The scripted server's receipt-signing key.
KEY = SigningKey(Ed25519PrivateKey.generate())
PUBLISHED = {
    "key_id": KEY.key_id,
    "algorithm": "Ed25519",
    "public_key": public_key_text(KEY.public_key),
}


class ScriptedApi(ApiClient):
    """An ApiClient whose answers come from `script` (one callable per batch request; the
    last one repeats); every request is logged with its monotonic time."""

    def __init__(self, script: list[Callable[[Batch], list[ItemResult]]]) -> None:
        super().__init__("https://127.0.0.1:9")  # never contacted
        self.script = script
        self.calls: list[tuple[float, list[str]]] = []
        self.reminder_calls = 0
        self.key_calls = 0
        self.published = [PUBLISHED]  # what GET /receipt-keys lists

    def submit_batch(self, token: str, items: Batch) -> list[ItemResult]:
        self.calls.append((time.monotonic(), [body["message_id"] for _, body in items]))
        answer = self.script[min(len(self.calls), len(self.script)) - 1]
        return answer(items)

    def reminders(self, token: str) -> tuple[list[dict], datetime]:
        self.reminder_calls += 1
        return [], datetime.now(UTC)

    def receipt_keys(self) -> list[dict]:
        self.key_calls += 1
        return list(self.published)

    def receipts(self, token: str, since: str | None = None) -> tuple[list[dict], str]:
        return [], since or "0"

    def statistics(self, token: str, registry: str | None = None) -> dict:
        return {"as_of": None, "registries": []}


def receipts(items: Batch) -> list[ItemResult]:
    return [Receipted(receipt=signed_receipt(body), replay=False) for _, body in items]


def raises(exc: Exception) -> Callable[[Batch], list[ItemResult]]:
    def answer(items: Batch) -> list[ItemResult]:
        raise exc

    return answer


def signed_receipt(body: dict, receipt_id: str | None = None) -> dict:
    """A genuine receipt for `body`, signed with the scripted server's key (published by
    receipt_keys(), so the engine fetches it when the first receipt names it)."""
    return KEY.sign(
        {
            "receipt_id": receipt_id or str(uuid.uuid4()),
            "message_id": body["message_id"],
            "registry": body["registry"],
            "form": body["form"],
            "version": body["version"],
            "received_at": "2026-03-01T10:15:00Z",
            "body_sha256": body_sha256(body),
            "unit_id": "1",
        }
    )


class FakeSession:
    username = OWNER
    server_url = "https://127.0.0.1:9"

    def token(self) -> str | None:
        return "token"


def states_of(cache: Cache, ids: list[str]) -> list[MessageState]:
    return [cache.messages.get(i).state for i in ids]


def passes_done(recorder: Recorder) -> int:
    """Passes that have ended (syncing went from True to False)."""
    ended, syncing = 0, False
    for event in recorder.of(SyncStatusChanged):
        if syncing and not event.status.syncing:
            ended += 1
        syncing = event.status.syncing
    return ended
