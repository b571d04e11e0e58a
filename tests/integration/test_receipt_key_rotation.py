"""A registry that signs with a key this program does not ship (a rotated production key): its
receipt arrives as "unknown key", verifies once the sync has fetched GET /receipt-keys (over
the same verified TLS), and `verify-receipt` trusts that key from the client's cache --
read-only -- but not on a computer without it."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from desktop_app.auth import SessionService, TokenStore
from desktop_app.events import EventBus
from desktop_app.forms import Catalogue
from desktop_app.receipt_signature import SigningKey
from desktop_app.receipts.keys import TrustedKeys
from desktop_app.receipts.pdf import write_receipt_pdf
from desktop_app.sync.api_client import ApiClient
from desktop_app.sync.engine import SyncEngine
from desktop_app.sync.receipt_steps import refresh_receipt_keys
from desktop_app.sync.steps import StepContext
from local_cache import open_cache
from registry_server.signing import KEY_FILE_NAME
from tests.support.live_server import LiveServer
from tests.support.receipt_checks import run_pass, verify_receipt

from .conftest import DEMO_USER, queue_messages


def test_a_receipt_signed_with_a_newly_published_key_verifies_once_keys_are_fetched(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    rotated = Ed25519PrivateKey.generate()
    server = LiveServer(tmp_path / "server")
    (tmp_path / "server" / KEY_FILE_NAME).write_bytes(
        rotated.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_id = SigningKey(rotated).key_id
    data_dir = tmp_path / "client"
    cache = open_cache(data_dir / "cache.sqlite3")
    with server, ApiClient(server.url, ca_bundle=str(server.ca_path), timeout=10) as api:
        session = SessionService(api, cache.users, TokenStore(), server.url).sign_in(*DEMO_USER)
        [queued] = queue_messages(cache, catalogue, 1, seed=3)
        trusted = TrustedKeys.for_cache(cache)
        engine = SyncEngine(
            cache,
            api,
            session,
            EventBus(),
            interval_s=600,
            steps=[],  # the outbox only: the keys are not fetched yet
            receipt_verdict=lambda receipt: trusted.verdict(receipt).value,
        )
        try:
            run_pass(engine)
        finally:
            engine.stop()
        receipt_id = cache.messages.get(queued.id).receipt_id
        arrived = cache.receipts.get(receipt_id)
        assert (arrived.raw["key_id"], arrived.verdict) == (key_id, "unknown_key")
        pdf = write_receipt_pdf(arrived, tmp_path / "receipt.pdf")
        before = verify_receipt(pdf, data_dir)
        assert before.status == 1 and f"signed with key {key_id}" in before.out, before

        token = session.token()
        assert token
        refresh_receipt_keys(StepContext(api, token, DEMO_USER[0], session, cache, EventBus()))

        assert cache.receipt_keys.keys().keys() >= {key_id}
        assert cache.receipts.get(receipt_id).verdict == "valid"
        stored = sorted(p.name for p in data_dir.iterdir())
        after = verify_receipt(pdf, data_dir)
        assert after.status == 0 and after.out.startswith(f"VALID: receipt {receipt_id} "), after
        assert after.out.endswith(f"signed with key {key_id}.")
        assert sorted(p.name for p in data_dir.iterdir()) == stored  # nothing made beside it
        elsewhere = verify_receipt(pdf, tmp_path / "another-computer")
        assert elsewhere.status == 1 and "does not know" in elsewhere.out
    cache.close()
