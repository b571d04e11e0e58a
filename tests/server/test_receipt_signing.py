"""The registry signs every receipt with Ed25519 over explicit bytes, publishes its public keys,
answers a replay with the very same signature, and signs receipts stored before signing."""

from __future__ import annotations

import stat
import uuid
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import update

from desktop_app.receipt_signature import (
    SIGNED_FIELDS,
    Verdict,
    load_public_key,
    signed_text,
    verify,
)
from registry_server.models import Receipt
from registry_server.signing import KEY_FILE_NAME, SigningKeyError, demo_key, load_signing_key
from tests.server.helpers import batch_item, sign_in, submit, submit_batch, valid_body
from tests.support.live_server import LiveServer


def _published(client: httpx.Client) -> dict:
    response = client.get("/api/v1/receipt-keys")  # no sign-in needed
    assert response.status_code == 200, response.text
    return {key["key_id"]: key for key in response.json()["keys"]}


def _keys(published: dict) -> dict:
    return {key_id: load_public_key(key["public_key"]) for key_id, key in published.items()}


def _client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, verify=server.ssl_context(), timeout=10)


def test_receipts_verify_with_the_published_key_and_replays_keep_the_signature(
    client: httpx.Client,
) -> None:
    headers = sign_in(client)
    published = _published(client)
    current = [key for key in published.values() if key["current"]]
    assert len(current) == 1 and current[0]["algorithm"] == "Ed25519"
    # A demo server signs with the public demo key, which the client ships.
    assert current[0]["key_id"] == demo_key().key_id

    body, key = valid_body(seed=3), str(uuid.uuid4())
    first = submit(client, headers, body, key)
    replay = submit(client, headers, body, key)
    assert (first.status_code, replay.status_code) == (201, 200)
    receipt = first.json()
    assert receipt["key_id"] == current[0]["key_id"]
    assert verify(receipt, _keys(published)) is Verdict.VALID
    assert replay.json() == receipt  # the very same signature, not a new one

    # The signature covers every signed field: change any and it no longer verifies.
    for name in SIGNED_FIELDS:
        if name == "key_id":
            continue
        changed = {**receipt, name: f"{receipt[name]}0"}
        assert verify(changed, _keys(published)) is Verdict.INVALID, name
    assert verify({**receipt, "key_id": "0" * 16}, _keys(published)) is Verdict.UNKNOWN_KEY


def test_batch_receipts_are_signed_and_replayed_unchanged(client: httpx.Client) -> None:
    headers = sign_in(client)
    items = [batch_item(valid_body(seed=20 + i)) for i in range(3)]
    first = submit_batch(client, headers, items).json()["results"]
    again = submit_batch(client, headers, items).json()["results"]
    keys = _keys(_published(client))
    assert [r["status"] for r in first] == [201] * 3 and [r["status"] for r in again] == [200] * 3
    for made, replayed in zip(first, again, strict=True):
        assert verify(made["receipt"], keys) is Verdict.VALID
        assert replayed["receipt"] == made["receipt"]


def test_the_signed_text_is_explicit() -> None:
    receipt = {
        "registry": "breast",
        "form": "surgery",
        "version": 1,
        "message_id": "m",
        "receipt_id": "r",
        "received_at": "2026-12-06T01:02:03Z",
        "body_sha256": "ab",
        "unit_id": 7,
        "key_id": "k",
    }
    assert signed_text(receipt) == "RR1|breast|surgery|1|m|r|2026-12-06T01:02:03Z|ab|7|k"


def test_a_server_without_a_key_file_makes_one_for_this_account_only(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server", demo=False)
    try:
        server.start()
        key_file = tmp_path / "server" / KEY_FILE_NAME
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        made = load_signing_key(None, tmp_path / "server", demo=False)
        assert made.key_id != demo_key().key_id
        server.stop()
        server.start()  # the same key after a restart
        with _client(server) as client:
            assert [k for k, v in _published(client).items() if v["current"]] == [made.key_id]
    finally:
        server.close()


def test_receipts_signed_before_a_key_change_still_verify(tmp_path: Path) -> None:
    data = tmp_path / "server"
    server = LiveServer(data, demo=True)
    try:
        server.start()
        with _client(server) as client:
            headers = sign_in(client)
            old = submit(client, headers, valid_body(seed=5)).json()
        server.stop()
        # The registry rotates its key: a new PEM file given to the server.
        new_key = Ed25519PrivateKey.generate()
        key_file = tmp_path / "new-key.pem"
        key_file.write_bytes(
            new_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        server.settings.receipt_key_file = key_file
        server.start()
        with _client(server) as client:
            headers = sign_in(client)
            new = submit(client, headers, valid_body(seed=6)).json()
            published = _published(client)
        assert new["key_id"] != old["key_id"]
        assert published[new["key_id"]]["current"] and not published[old["key_id"]]["current"]
        for receipt in (old, new):
            assert verify(receipt, _keys(published)) is Verdict.VALID
    finally:
        server.close()


def test_receipts_stored_before_signing_are_signed_at_the_next_start(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server", demo=True)
    try:
        server.start()
        with _client(server) as client:
            receipt = submit(client, sign_in(client), valid_body(seed=7)).json()
        server.stop()
        # As the migration leaves a receipt stored by an earlier version.
        with server.session_factory.begin() as session:
            session.execute(update(Receipt).values(key_id=None, signature=None))
        server.start()
        with _client(server) as client:
            listed = client.get("/api/v1/receipts", headers=sign_in(client)).json()["receipts"]
            keys = _keys(_published(client))
        again = next(r for r in listed if r["receipt_id"] == receipt["receipt_id"])
        assert again["signature"] and verify(again, keys) is Verdict.VALID
    finally:
        server.close()


@pytest.mark.parametrize(
    ("content", "says"),
    [(None, "cannot be read"), (b"not a key", "not an unencrypted PEM private key")],
)
def test_an_unusable_key_file_is_refused_with_a_sentence(
    tmp_path: Path, content: bytes | None, says: str
) -> None:
    key_file = tmp_path / "key.pem"
    if content is not None:
        key_file.write_bytes(content)
    with pytest.raises(SigningKeyError, match=says) as refused:
        load_signing_key(key_file, tmp_path, demo=False)
    assert str(key_file) in str(refused.value)


def test_a_reminder_id_that_is_not_a_uuid_is_refused(client: httpx.Client) -> None:
    headers = sign_in(client)
    response = submit(client, headers, {**valid_body(seed=8), "reminder_id": "REMINDER-1"})
    assert response.status_code == 422
    assert "reminder_id" in response.json()["detail"]
