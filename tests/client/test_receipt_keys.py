"""The keys the client trusts: the shipped one is the demo server's, fetched keys are used
(and re-read when a receipt names a key not seen yet), a key under a wrong id is not."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from desktop_app.receipt_signature import SigningKey, Verdict, public_key_text
from desktop_app.receipts.keys import TrustedKeys, load_shipped_keys, shipped_keys_file
from registry_server.signing import demo_key


def _receipt(key: SigningKey) -> dict:
    return key.sign(
        {
            "receipt_id": str(uuid.uuid4()),
            "message_id": str(uuid.uuid4()),
            "registry": "breast",
            "form": "assessment",
            "version": 3,
            "received_at": "2026-12-05T13:32:07Z",
            "body_sha256": "ab" * 32,
            "unit_id": 1,
        }
    )


def test_the_shipped_key_is_the_demo_servers_and_marked_as_the_demo_key() -> None:
    demo = demo_key()
    assert load_shipped_keys() == {demo.key_id: public_key_text(demo.public_key)}
    entry = json.loads(shipped_keys_file().read_text(encoding="utf-8"))["keys"][0]
    assert entry["demo"] is True and "demo" in entry["note"].lower()
    trusted = TrustedKeys()
    assert trusted.verdict(_receipt(demo)) is Verdict.VALID
    assert trusted.is_demo(demo.key_id)


def test_a_shipped_file_with_a_key_under_a_wrong_id_is_refused(tmp_path: Path) -> None:
    key = SigningKey(Ed25519PrivateKey.generate())
    path = tmp_path / "keys.json"
    wrong = {"key_id": "0" * 16, "public_key": public_key_text(key.public_key)}
    path.write_text(json.dumps({"keys": [wrong]}), encoding="utf-8")
    with pytest.raises(ValueError):
        load_shipped_keys(path)


def test_fetched_keys_are_trusted_and_read_again_for_a_new_key_id() -> None:
    rotated = SigningKey(Ed25519PrivateKey.generate())
    fetched: dict[str, str] = {}
    reads = []

    def read() -> dict[str, str]:
        reads.append(1)
        return dict(fetched)

    trusted = TrustedKeys(fetched=read)
    receipt = _receipt(rotated)
    assert trusted.verdict(receipt) is Verdict.UNKNOWN_KEY

    fetched[rotated.key_id] = public_key_text(rotated.public_key)  # the sync stored it
    assert trusted.verdict(receipt) is Verdict.VALID
    assert trusted.verdict(_receipt(demo_key())) is Verdict.VALID  # shipped, no re-read needed
    assert len(reads) == 3  # first use, then once per unknown key id


def test_a_fetched_key_listed_under_another_keys_id_is_ignored() -> None:
    """A server (or a damaged cache) cannot make one key verify receipts naming another."""
    attacker = SigningKey(Ed25519PrivateKey.generate())
    forged = _receipt(attacker)
    forged_as_demo = attacker.sign({**forged, "key_id": demo_key().key_id})
    forged_as_demo["key_id"] = demo_key().key_id
    trusted = TrustedKeys(fetched=lambda: {demo_key().key_id: public_key_text(attacker.public_key)})
    assert trusted.verdict(forged_as_demo) is Verdict.INVALID
    # Listed under a made-up id, the key is not there at all.
    made_up = attacker.sign({**forged, "key_id": "f" * 16})
    made_up["key_id"] = "f" * 16
    other = TrustedKeys(fetched=lambda: {"f" * 16: public_key_text(attacker.public_key)})
    assert other.verdict(made_up) is Verdict.UNKNOWN_KEY


def test_a_receipt_that_cannot_be_looked_at_is_malformed_never_an_exception() -> None:
    trusted = TrustedKeys(fetched=lambda: (_ for _ in ()).throw(OSError("disk")))
    assert trusted.verdict({"signature": "abc"}) is Verdict.MALFORMED
    assert trusted.verdict({}) is Verdict.UNSIGNED
    assert trusted.verdict(_receipt(demo_key())) is Verdict.VALID  # shipped keys still work
