"""Signed receipts: the exact bytes the registry signs, the QR text, and verification.

Plain Python (cryptography only): the server signs with it, the client and
`registry-desktop verify-receipt` verify with it, so both sides agree on one definition.

The signed bytes are explicit, not a JSON serialisation (whose key order, spacing and number
formats would all have to be agreed on): ``RR1|registry|form|version|message_id|receipt_id|
received_at|body_sha256|unit_id|key_id`` in UTF-8, each value exactly as the receipt's JSON
carries it. No value may contain ``|`` or a control character. The QR code of a printed receipt
holds those same fields followed by ``|`` and the signature (base64url, no padding), so anyone
can check a paper receipt offline against the registry's published public key.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FORMAT = "RR1"
ALGORITHM = "Ed25519"
# In the order they are signed. key_id is signed too: a signature cannot be moved to a
# receipt that names another key.
SIGNED_FIELDS = (
    "registry",
    "form",
    "version",
    "message_id",
    "receipt_id",
    "received_at",
    "body_sha256",
    "unit_id",
    "key_id",
)
_FORBIDDEN = re.compile(r"[|\x00-\x1f\x7f]")


class ReceiptFormatError(ValueError):
    """The receipt (or QR text) lacks a signed field or has one that cannot be signed."""


class Verdict(enum.StrEnum):
    """What checking a receipt's signature found. Only VALID means the registry signed it."""

    VALID = "valid"
    INVALID = "invalid"  # the signature does not match these fields (changed, or forged)
    UNKNOWN_KEY = "unknown_key"  # signed with a key this computer does not know
    UNSIGNED = "unsigned"  # no signature at all (a receipt from before signing)
    MALFORMED = "malformed"  # a signed field is missing or not signable


def _text(value: object) -> str:
    if value is None or isinstance(value, bool):
        raise ReceiptFormatError(f"not a signable value: {value!r}")
    text = str(value)
    if not text or _FORBIDDEN.search(text):
        raise ReceiptFormatError(f"not a signable value: {text!r}")
    return text


def signed_text(receipt: Mapping[str, Any]) -> str:
    """The text the registry signs for `receipt` (ReceiptFormatError if a field is missing)."""
    missing = [name for name in SIGNED_FIELDS if receipt.get(name) in (None, "")]
    if missing:
        raise ReceiptFormatError(f"missing {', '.join(missing)}")
    return "|".join([FORMAT, *(_text(receipt[name]) for name in SIGNED_FIELDS)])


def signed_bytes(receipt: Mapping[str, Any]) -> bytes:
    return signed_text(receipt).encode("utf-8")


def qr_text(receipt: Mapping[str, Any]) -> str:
    """What a printed receipt's QR code holds: the signed fields and the signature."""
    signature = receipt.get("signature")
    if not signature:
        raise ReceiptFormatError("missing signature")
    return f"{signed_text(receipt)}|{_text(signature)}"


def parse_qr_text(text: str) -> dict[str, str]:
    """The receipt fields (and signature) a QR text holds; ReceiptFormatError if it is not
    one. Values stay text: `version` and `unit_id` are signed as the digits they are."""
    parts = text.strip().split("|")
    if len(parts) != len(SIGNED_FIELDS) + 2 or parts[0] != FORMAT:
        raise ReceiptFormatError("not a registry receipt code")
    fields = dict(zip(SIGNED_FIELDS, parts[1:-1], strict=True))
    fields["signature"] = parts[-1]
    if any(not value for value in fields.values()):
        raise ReceiptFormatError("a field of the receipt code is empty")
    return fields


def key_id_of(public_key: Ed25519PublicKey | bytes) -> str:
    """A short, stable name for a public key: the first 16 hex digits of its SHA-256."""
    raw = public_key if isinstance(public_key, bytes) else _raw(public_key)
    return hashlib.sha256(raw).hexdigest()[:16]


def _raw(public_key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_text(public_key: Ed25519PublicKey) -> str:
    """The key as published (GET /receipt-keys, resources/receipt_keys.json): base64 of the
    raw 32 bytes."""
    return base64.b64encode(_raw(public_key)).decode("ascii")


def load_public_key(text: str) -> Ed25519PublicKey:
    """A published key back (ValueError when it is not a base64 Ed25519 public key)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as error:
        raise ValueError("not base64") from error
    return Ed25519PublicKey.from_public_bytes(raw)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# An Ed25519 signature is 64 bytes: exactly 86 characters of unpadded base64url.
SIGNATURE_BYTES = 64
SIGNATURE_CHARS = 86


def _from_b64url(text: str) -> bytes:
    """The 64 signature bytes of `text`; ValueError unless `text` is exactly their canonical
    encoding (86 characters, the unused low bits of the last one zero). A lenient decoder
    would accept several texts for one signature (e.g. the last character g or h), so a
    changed code could still verify."""
    if len(text) != SIGNATURE_CHARS or not re.fullmatch(r"[A-Za-z0-9_-]+", text):
        raise ValueError("not the base64url text of a 64-byte signature")
    data = base64.urlsafe_b64decode(text + "==")
    if len(data) != SIGNATURE_BYTES or _b64url(data) != text:
        raise ValueError("not the canonical base64url text of a signature")
    return data


@dataclass(frozen=True)
class SigningKey:
    """The registry's private key with its key id (the server's; never on a client)."""

    private_key: Ed25519PrivateKey

    @property
    def key_id(self) -> str:
        return key_id_of(self.private_key.public_key())

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    def sign(self, receipt: Mapping[str, Any]) -> dict[str, Any]:
        """`receipt` with key_id and signature added (a new dict)."""
        signed = {**receipt, "key_id": self.key_id}
        signed["signature"] = _b64url(self.private_key.sign(signed_bytes(signed)))
        return signed


def verify(receipt: Mapping[str, Any], keys: Mapping[str, Ed25519PublicKey]) -> Verdict:
    """Check `receipt`'s signature against the known public `keys` ({key_id: key})."""
    if not receipt.get("signature") and not receipt.get("key_id"):
        return Verdict.UNSIGNED
    try:
        message = signed_bytes(receipt)
    except ReceiptFormatError:
        return Verdict.MALFORMED
    try:
        signature = _from_b64url(str(receipt.get("signature") or ""))
    except ValueError:
        # Every signed field is there, but the signature is not one: it does not match.
        return Verdict.INVALID
    key = keys.get(str(receipt["key_id"]))
    if key is None:
        return Verdict.UNKNOWN_KEY
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return Verdict.INVALID
    return Verdict.VALID
