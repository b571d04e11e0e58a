"""The keys the client trusts: the shipped one is the demo server's (and a production bundle
leaves it out), fetched keys are used for the server they came from only (and re-read when a
receipt names a key not seen yet), a key under a wrong id is not, the public demo key is known
as such, and a signature verifies in its one canonical spelling only."""

from __future__ import annotations

import base64
import json
import runpy
import string
import sys
import types
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from desktop_app.receipt_signature import SigningKey, Verdict, public_key_text, verify
from desktop_app.receipts.keys import (
    PUBLIC_DEMO_KEY_IDS,
    TrustedKeys,
    demo_key_ids,
    load_shipped_keys,
    shipped_demo_key_ids,
    shipped_keys_file,
    without_demo_keys,
)
from local_cache import Cache
from registry_server.signing import demo_key

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


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


def test_the_public_demo_key_is_known_as_demo_even_when_a_server_published_it() -> None:
    """A production bundle ships no demo key; a demo server still publishes it. Its id is
    known, so a receipt it verifies is never taken for the registry's."""
    demo = demo_key()
    assert {demo.key_id} == PUBLIC_DEMO_KEY_IDS
    fetched = TrustedKeys(
        shipped={}, fetched=lambda: {demo.key_id: public_key_text(demo.public_key)}
    )
    assert fetched.verdict(_receipt(demo)) is Verdict.VALID
    assert fetched.is_demo(demo.key_id) and not fetched.is_shipped(demo.key_id)
    assert demo_key_ids() >= {demo.key_id}


def test_fetched_keys_are_trusted_only_for_the_server_they_came_from(cache: Cache) -> None:
    rotated = SigningKey(Ed25519PrivateKey.generate())
    text = public_key_text(rotated.public_key)
    cache.receipt_keys.save_keys("https://registry.example", {rotated.key_id: text}, NOW)
    receipt = _receipt(rotated)

    assert TrustedKeys.for_cache(cache, "https://registry.example").verdict(receipt) is (
        Verdict.VALID
    )
    other = TrustedKeys.for_cache(cache, "https://elsewhere.example")
    assert other.verdict(receipt) is Verdict.UNKNOWN_KEY
    # The shipped keys are trusted for every server.
    assert other.verdict(_receipt(demo_key())) is Verdict.VALID


def test_a_signature_verifies_only_in_its_one_canonical_spelling() -> None:
    """base64url of 64 bytes leaves 4 unused bits in the last character: a lenient decoder
    reads several texts as one signature, so a changed code would still verify."""
    demo = demo_key()
    keys = {demo.key_id: demo.public_key}
    receipt = _receipt(demo)
    signature = receipt["signature"]
    assert len(signature) == 86 and verify(receipt, keys) is Verdict.VALID
    alphabet = string.ascii_letters + string.digits + "-_"
    same_bytes = [
        signature[:-1] + c
        for c in alphabet
        if c != signature[-1]
        and base64.urlsafe_b64decode(signature[:-1] + c + "==")
        == base64.urlsafe_b64decode(signature + "==")
    ]
    assert len(same_bytes) == 15  # the spellings a lenient decoder would take
    for other in [*same_bytes, signature + "=", signature + "==", signature[:-1], signature + "A"]:
        assert verify({**receipt, "signature": other}, keys) is Verdict.INVALID, other


def test_a_production_bundle_ships_no_demo_key_unless_a_demo_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """build.spec run as PyInstaller runs it (its classes recording what they are given)."""
    assert shipped_demo_key_ids()  # the source tree ships the demo key for development

    def bundled(demo_build: bool) -> dict:
        if demo_build:
            monkeypatch.setenv("REGISTRY_DEMO_BUILD", "1")
        else:
            monkeypatch.delenv("REGISTRY_DEMO_BUILD", raising=False)
        datas = _run_build_spec(tmp_path / ("demo" if demo_build else "production"), monkeypatch)
        [keys] = [src for src, dest in datas if Path(src).name == "receipt_keys.json"]
        assert dict(datas)[keys] == "resources"
        return json.loads(Path(keys).read_text(encoding="utf-8"))

    production = bundled(False)
    assert production["keys"] == []  # only the demo key in the source tree: none left
    assert without_demo_keys(json.loads(shipped_keys_file().read_text("utf-8"))) == production
    demo = bundled(True)
    assert [k["key_id"] for k in demo["keys"]] == [demo_key().key_id]


def _run_build_spec(workpath: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Execute build.spec with PyInstaller's names recording their arguments; the datas given
    to Analysis."""
    seen: dict[str, object] = {}

    class Analysis:
        def __init__(self, scripts: list, **options: object) -> None:
            seen.update(options)
            self.pure = self.scripts = self.binaries = self.datas = []

    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_submodules = lambda package: []  # type: ignore[attr-defined]
    for name in ("PyInstaller", "PyInstaller.utils"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    workpath.mkdir(parents=True)
    runpy.run_path(
        str(ROOT / "build.spec"),
        init_globals={
            "SPECPATH": str(ROOT),
            "workpath": str(workpath),
            "Analysis": Analysis,
            "PYZ": lambda *a, **k: None,
            "EXE": lambda *a, **k: None,
            "COLLECT": lambda *a, **k: None,
        },
    )
    return list(seen["datas"])  # type: ignore[arg-type]
