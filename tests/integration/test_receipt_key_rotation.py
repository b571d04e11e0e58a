"""A registry that signs with a key this program does not ship (a rotated production key).

The engine fetches the server's published keys (over the same verified TLS) when the first
receipt names that key, so our own message is receipted with a valid receipt; the key is saved
pinned to that server and trusted for no other. A receipt fetched by cursor before the keys
were known is checked again once they are. `verify-receipt` trusts only the shipped keys by
default, and with --with-fetched-keys the keys this computer fetched (read-only), naming the
server the key came from.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from desktop_app.auth import SessionService, TokenStore
from desktop_app.events import EventBus
from desktop_app.forms import Catalogue
from desktop_app.receipt_signature import SigningKey, Verdict
from desktop_app.receipts.keys import TrustedKeys
from desktop_app.receipts.pdf import write_receipt_pdf
from desktop_app.sync.api_client import ApiClient
from desktop_app.sync.engine import SyncEngine
from desktop_app.sync.receipt_steps import fetch_receipts, refresh_receipt_keys
from desktop_app.sync.steps import StepContext
from local_cache import open_cache
from registry_server.signing import KEY_FILE_NAME
from tests.support.live_server import LiveServer
from tests.support.receipt_checks import run_pass, verify_receipt

from .conftest import DEMO_USER, queue_messages


def test_a_receipt_signed_with_a_newly_published_key_verifies_for_its_server_only(
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
    other_pc = open_cache(tmp_path / "other-pc" / "cache.sqlite3")
    with server, ApiClient(server.url, ca_bundle=str(server.ca_path), timeout=10) as api:
        session = SessionService(api, cache.users, TokenStore(), server.url).sign_in(*DEMO_USER)
        [queued] = queue_messages(cache, catalogue, 1, seed=3)
        engine = SyncEngine(
            cache,
            api,
            session,
            EventBus(),
            interval_s=600,
            steps=[],  # the outbox only: no keys step; the engine fetches them itself
        )
        try:
            run_pass(engine)
        finally:
            engine.stop()
        record = cache.messages.get(queued.id)
        assert record.state == "receipted", record.last_error
        arrived = cache.receipts.get(record.receipt_id)
        assert (arrived.raw["key_id"], arrived.verdict) == (key_id, "valid")
        # Pinned: trusted for this server's receipts, not for another server's.
        assert cache.receipt_keys.keys(server.url).keys() == {key_id}
        receipt = arrived.to_dict()
        assert TrustedKeys.for_cache(cache, server.url).verdict(receipt) is Verdict.VALID
        elsewhere = TrustedKeys.for_cache(cache, "https://another-registry.example")
        assert elsewhere.verdict(receipt) is Verdict.UNKNOWN_KEY

        # Another computer fetches the unit's receipts before it knows the key: "unknown
        # key", checked again once its keys step has fetched them.
        other_session = SessionService(api, other_pc.users, TokenStore(), server.url).sign_in(
            *DEMO_USER
        )
        token = other_session.token()
        assert token
        context = StepContext(api, token, DEMO_USER[0], other_session, other_pc, EventBus())
        fetch_receipts(context)
        assert other_pc.receipts.get(record.receipt_id).verdict == "unknown_key"
        refresh_receipt_keys(context)
        assert other_pc.receipts.get(record.receipt_id).verdict == "valid"

        # verify-receipt: the shipped keys only, unless asked to use the fetched ones.
        pdf = write_receipt_pdf(arrived, tmp_path / "receipt.pdf")
        stored = sorted(p.name for p in data_dir.iterdir())
        shipped_only = verify_receipt(pdf, data_dir)
        assert shipped_only.status == 1 and f"signed with key {key_id}" in shipped_only.out
        assert "--with-fetched-keys" in shipped_only.out
        fetched = verify_receipt(pdf, data_dir, "--with-fetched-keys")
        assert fetched.status == 0, fetched
        lines = fetched.out.splitlines()
        assert lines[0].startswith(f"VALID: receipt {record.receipt_id} ")
        assert lines[0].endswith(f"signed with key {key_id}.")
        assert lines[1] == (
            f"Key {key_id} is trusted because this computer fetched it from {server.url}."
        )
        assert "are NOT signed" in lines[2]
        assert sorted(p.name for p in data_dir.iterdir()) == stored  # nothing made beside it
        another = verify_receipt(pdf, tmp_path / "another-computer", "--with-fetched-keys")
        assert another.status == 1 and "neither this program nor the keys" in another.out
    cache.close()
    other_pc.close()
