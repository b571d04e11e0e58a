"""The receipt-signing public keys this computer trusts, and checking a receipt against them.

Two sources:

* **Shipped** (resources/receipt_keys.json): part of the program, so a receipt -- on paper or in
  a PDF -- can be checked offline on any computer, even one that never reached the registry.
  A production bundle ships the registry's production key(s) only: build.spec leaves out the
  entries marked ``"demo": true`` unless REGISTRY_DEMO_BUILD=1.
* **Fetched** (GET /receipt-keys, stored in ``cache.receipt_keys`` with the server they came
  from): the registry's published keys as its server lists them, over the same verified TLS
  connection as everything else the client trusts that server for. A fetched key is trusted
  only for receipts from the server it was fetched from (``TrustedKeys.for_cache(cache,
  server_url)``), never for another server and never by ``verify-receipt`` unless asked
  (``--with-fetched-keys``).

A key is only used under its own key id (the first 16 hex digits of its SHA-256): a list that
names a key under another id is ignored for that key, so one key cannot pose as another.

**The public demo key** (what ``registry-server --demo`` signs with) has a private half anyone
can derive from a published constant: a receipt it verifies proves nothing outside a
demonstration. Its id is known here (``PUBLIC_DEMO_KEY_IDS``) besides the shipped file's
``"demo"`` marks, so it is recognised even when a demo server published it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from desktop_app.receipt_signature import ALGORITHM, Verdict, key_id_of, load_public_key, verify
from desktop_app.resources import resources_dir

log = logging.getLogger(__name__)


def shipped_keys_file() -> Path:
    return resources_dir() / "receipt_keys.json"


def load_shipped_keys(path: Path | None = None) -> dict[str, str]:
    """{key_id: base64 public key} of the keys the program ships (KeyError/ValueError/OSError
    when the file is not one: a broken build must not pass unnoticed)."""
    data = json.loads((path or shipped_keys_file()).read_text(encoding="utf-8"))
    keys = {}
    for entry in data["keys"]:
        if entry.get("algorithm", ALGORITHM) != ALGORITHM:
            raise ValueError(f"Unknown receipt key algorithm {entry.get('algorithm')!r}")
        keys[str(entry["key_id"])] = str(entry["public_key"])
    if _usable(keys).keys() != keys.keys():
        raise ValueError("A shipped receipt key does not match its key id")
    return keys


# The id of registry_server.signing.demo_key()'s public key (tests/client check it is).
PUBLIC_DEMO_KEY_IDS = frozenset({"f6be5adf160597cc"})


def shipped_demo_key_ids(path: Path | None = None) -> frozenset[str]:
    """Key ids the shipped file marks as a demo key."""
    data = json.loads((path or shipped_keys_file()).read_text(encoding="utf-8"))
    return frozenset(str(e["key_id"]) for e in data["keys"] if e.get("demo"))


def demo_key_ids(path: Path | None = None) -> frozenset[str]:
    """Every key id known to be a public demo key: the well-known one, and those the shipped
    file marks (an unreadable file adds none)."""
    try:
        marked = shipped_demo_key_ids(path)
    except (OSError, ValueError, KeyError, TypeError):
        marked = frozenset()
    return PUBLIC_DEMO_KEY_IDS | marked


def without_demo_keys(document: Mapping[str, Any]) -> dict[str, Any]:
    """A receipt_keys.json document without its demo keys (marked, or the well-known one):
    what a production bundle ships (build.spec)."""
    keys = [
        dict(entry)
        for entry in document.get("keys", [])
        if not entry.get("demo") and str(entry.get("key_id")) not in PUBLIC_DEMO_KEY_IDS
    ]
    return {**document, "keys": keys}


def _demo_ids() -> frozenset[str]:
    return demo_key_ids()


def _usable(keys: Mapping[str, str]) -> dict[str, Ed25519PublicKey]:
    """The keys whose text is an Ed25519 public key with exactly that key id."""
    usable = {}
    for key_id, text in keys.items():
        try:
            key = load_public_key(text)
        except ValueError:
            log.warning("Receipt key %s is not an Ed25519 public key; ignored", key_id)
            continue
        if key_id_of(key) != key_id:
            log.warning("Receipt key listed as %s has another key id; ignored", key_id)
            continue
        usable[key_id] = key
    return usable


class TrustedKeys:
    """Shipped keys plus fetched ones (``fetched()`` is read again when a receipt names a key
    not known yet, e.g. right after the sync engine stored a newly published one).

    Thread-safe: the sync engine checks receipts on its thread, the UI's loads on the pool.
    """

    def __init__(
        self,
        shipped: Mapping[str, str] | None = None,
        fetched: Callable[[], Mapping[str, str]] | None = None,
        *,
        demo_key_ids: frozenset[str] | None = None,
    ) -> None:
        self._shipped = dict(load_shipped_keys() if shipped is None else shipped)
        self._fetched = fetched
        self.demo_key_ids = _demo_ids() if demo_key_ids is None else demo_key_ids
        self._lock = threading.Lock()
        self._keys = _usable(self._shipped)
        self._loaded_fetched = False

    @classmethod
    def for_cache(cls, cache: Any, server_url: str) -> TrustedKeys:
        """The shipped keys and those fetched into `cache` from `server_url` only (a key
        another server published is not trusted for this one's receipts)."""
        return cls(fetched=lambda: cache.receipt_keys.keys(server_url))

    def keys(self) -> dict[str, Ed25519PublicKey]:
        with self._lock:
            if not self._loaded_fetched:
                self._reload()
            return dict(self._keys)

    def reload(self) -> None:
        """Read the fetched keys again (after new ones were stored)."""
        with self._lock:
            self._reload()

    def verdict(self, receipt: Mapping[str, Any]) -> Verdict:
        """What checking `receipt`'s signature finds; never raises (a receipt that cannot
        even be looked at is MALFORMED)."""
        try:
            keys = self.keys()
            found = verify(receipt, keys)
            if found is Verdict.UNKNOWN_KEY and self._fetched is not None:
                self.reload()  # maybe stored since: a key published after our last read
                found = verify(receipt, self.keys())
            return found
        except Exception:
            log.exception("Checking a receipt's signature failed")
            return Verdict.MALFORMED

    def is_demo(self, key_id: object) -> bool:
        return str(key_id) in self.demo_key_ids

    def is_shipped(self, key_id: object) -> bool:
        return str(key_id) in self._shipped

    @property
    def uses_fetched(self) -> bool:
        """Whether fetched keys are trusted besides the shipped ones."""
        return self._fetched is not None

    def _reload(self) -> None:
        combined = dict(self._shipped)
        if self._fetched is not None:
            try:
                # A fetched key never replaces a shipped one of the same id (they are equal
                # when the id matches, as the id is the key's hash).
                combined = {**dict(self._fetched()), **self._shipped}
            except Exception:
                log.exception("Could not read the fetched receipt keys; using the shipped ones")
        self._keys = _usable(combined)
        self._loaded_fetched = True
