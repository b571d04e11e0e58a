"""Password hashing with scrypt (standard library), one random salt per user."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# 16 MiB and roughly 50 ms per check: slow for guessing, fine for sign-in.
_N, _R, _P, _LEN = 2**14, 8, 1, 32


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=64 * 1024**2
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """A self-describing hash: ``scrypt$n$r$p$salt$hash`` (base64), parameters kept per hash."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, _N, _R, _P, _LEN)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p), len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


# Checked when the username is unknown, so that answer takes as long as a wrong password.
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
