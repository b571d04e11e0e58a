"""The registry's receipt-signing key: loading (or making) it, publishing its public half, and
signing receipts stored before signing existed.

The private key is a PEM file (PKCS#8, unencrypted, readable by the server's account only).
`ServerSettings.receipt_key_file` names it; without one the server uses
`<data_dir>/receipt-signing-key.pem`, made on first start. A demo server without a key file
signs with the demo key, whose public half the client ships (resources/receipt_keys.json):
it is derived from a published constant, so it proves nothing and is for demonstrations only.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.receipt_signature import ALGORITHM, SigningKey, public_key_text
from registry_server.db import take_startup_lock
from registry_server.models import Receipt, ReceiptKey, iso_utc, utcnow
from registry_server.private_files import private_folder

log = logging.getLogger(__name__)

KEY_FILE_NAME = "receipt-signing-key.pem"
# Not a secret: anyone may make demo receipts with it. Only for `registry-server --demo`.
_DEMO_SEED = b"registry-desktop demo receipt signing key; public, for demonstrations only"


class SigningKeyError(Exception):
    """The configured key file cannot be used; the message says which file and why."""


def demo_key() -> SigningKey:
    return SigningKey(Ed25519PrivateKey.from_private_bytes(hashlib.sha256(_DEMO_SEED).digest()))


def load_signing_key(key_file: Path | None, data_dir: Path, *, demo: bool) -> SigningKey:
    """The key receipts are signed with: `key_file` if given (it must exist), else the data
    folder's key file, made on first start (or, for a demo server, the demo key)."""
    if key_file is not None:
        return _read(Path(key_file))
    path = Path(data_dir) / KEY_FILE_NAME
    if path.exists():
        return _read(path)
    if demo:
        log.info("Signing receipts with the public demo key (not for real use)")
        return demo_key()
    made = SigningKey(Ed25519PrivateKey.generate())
    key = _write_new(path, made)
    if key is not made:
        return key  # another process made it at the same moment
    log.warning(
        "Made a new receipt-signing key %s in %s: publish its public key (GET "
        "/api/v1/receipt-keys) and give clients a build that ships it",
        key.key_id,
        path,
    )
    return key


def _read(path: Path) -> SigningKey:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SigningKeyError(
            f"The receipt-signing key file {path} cannot be read ({error.strerror}). Check "
            "the path and that the server's account may read it."
        ) from error
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise SigningKeyError(
            f"The receipt-signing key file {path} is not an unencrypted PEM private key "
            f"({error}). Make one with `openssl genpkey -algorithm ed25519 -out {path.name}`."
        ) from error
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(
            f"The receipt-signing key in {path} is not an Ed25519 key. Make one with "
            f"`openssl genpkey -algorithm ed25519 -out {path.name}`."
        )
    return SigningKey(key)


def _write_new(path: Path, key: SigningKey) -> SigningKey:
    """Write the key readable by this account only, and return the key the file then holds.

    The file appears whole or not at all (written to a temporary file, then hard-linked to its
    name, which fails when the name exists). Two processes starting at once on one data
    folder: the first link wins, and the other reads the winner's key instead of its own, so
    both sign with the same key."""
    private_folder(path.parent)
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".receipt-key-")
    try:
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, pem)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, path)
        except FileExistsError:
            log.info("Another process made the receipt-signing key %s first; using it", path)
            return _read(path)
    finally:
        os.unlink(temporary)
    return key


def publish_key(session_factory: sessionmaker[Session], key: SigningKey) -> None:
    """Make sure the key's public half is listed (GET /receipt-keys); keys used before stay
    listed, so receipts signed with them keep verifying. Under the start-up lock, so processes
    starting at once on one PostgreSQL database do not both insert it; an insert that still
    collides (a process without the lock) means it is listed, which is all that is needed."""
    try:
        with session_factory.begin() as session:
            take_startup_lock(session)
            if session.get(ReceiptKey, key.key_id) is None:
                session.add(
                    ReceiptKey(
                        key_id=key.key_id,
                        algorithm=ALGORITHM,
                        public_key=public_key_text(key.public_key),
                        created_at=utcnow(),
                    )
                )
    except IntegrityError:
        with session_factory() as session:
            if session.get(ReceiptKey, key.key_id) is None:
                raise


def published_keys(session: Session, current: SigningKey) -> list[dict]:
    rows = session.scalars(select(ReceiptKey).order_by(ReceiptKey.created_at)).all()
    return [
        {
            "key_id": row.key_id,
            "algorithm": row.algorithm,
            "public_key": row.public_key,
            "created_at": iso_utc(row.created_at),
            "retired_at": iso_utc(row.retired_at) if row.retired_at else None,
            "current": row.key_id == current.key_id,
        }
        for row in rows
    ]


def sign_unsigned_receipts(
    session_factory: sessionmaker[Session], key: SigningKey, batch: int = 1000
) -> int:
    """Sign receipts stored before receipts were signed (the migration leaves them unsigned).
    Returns how many were signed."""
    signed = 0
    while True:
        with session_factory.begin() as session:
            # One process at a time: two starting at once do not sign the same rows twice.
            take_startup_lock(session)
            rows = session.scalars(
                select(Receipt).where(Receipt.signature.is_(None)).limit(batch)
            ).all()
            for row in rows:
                done = key.sign(row.to_dict())
                row.key_id, row.signature = done["key_id"], done["signature"]
        signed += len(rows)
        if len(rows) < batch:
            break
    if signed:
        log.info("Signed %d receipt(s) stored before receipts were signed", signed)
    return signed
