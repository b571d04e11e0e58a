"""Offline sign-in: the profile remembered after an online sign-in, and the password checked by
opening the user's sealed keys (no password hash kept); rows of an earlier version checked by
their scrypt verifier."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_cache import Cache, LocalUserRepository, open_cache
from local_cache.user_keys import KdfCost

SERVER = "https://registry.example:8443"
PROFILE = {"display_name": "Dr. Test", "unit": {"id": "unit-1", "name": "Bryst"}}


@pytest.fixture
def keyed(cache_path: Path) -> Iterator[Cache]:
    cache = open_cache(cache_path, kdf_cost=KdfCost(time_cost=1, memory_kib=1024))
    yield cache
    cache.close()


def _signed_in(cache: Cache, user: str, password: str, profile: dict = PROFILE) -> None:
    """What an online sign-in leaves here: the profile, and the keys sealed by the password."""
    cache.users.remember(SERVER, user, password, profile)
    if not cache.user_keys.exists(SERVER, user):
        cache.user_keys.create(SERVER, user, password, escrow_key=None)


def test_the_sealed_keys_check_the_password(keyed: Cache) -> None:
    _signed_in(keyed, "alice", "correct horse")

    assert keyed.users.verify(SERVER, "alice", "correct horse") == PROFILE
    assert keyed.users.verify(SERVER + "/", "alice", "correct horse") == PROFILE
    assert keyed.users.verify(SERVER, "alice", "Correct horse") is None
    assert keyed.users.verify(SERVER, "alice", "") is None
    assert keyed.users.verify(SERVER, "bob", "correct horse") is None
    assert keyed.users.verify("https://other.example", "alice", "correct horse") is None


def test_no_password_hash_is_kept_beside_the_keys(keyed: Cache, cache_path: Path) -> None:
    _signed_in(keyed, "alice", "same password")
    _signed_in(keyed, "bob", "same password")

    with sqlite3.connect(cache_path) as raw:
        rows = raw.execute("SELECT salt, verifier FROM local_users").fetchall()
        dump = "\n".join(raw.iterdump())
    assert "same password" not in dump
    assert rows == [(b"", b""), (b"", b"")]


def test_a_profile_remembered_again_is_replaced(keyed: Cache) -> None:
    _signed_in(keyed, "alice", "a password")
    _signed_in(keyed, "alice", "a password", {**PROFILE, "display_name": "Dr. New"})
    assert keyed.users.verify(SERVER, "alice", "a password")["display_name"] == "Dr. New"


def test_without_keys_a_salted_scrypt_verifier_checks(cache_path: Path) -> None:
    """Tools, and rows of a version before encryption at rest: the scrypt verifier."""
    cache = open_cache(cache_path)
    try:
        users = LocalUserRepository(cache.engine)
        users.remember(SERVER, "alice", "same password", PROFILE)
        users.remember(SERVER, "bob", "same password", PROFILE)
        assert users.verify(SERVER, "alice", "same password") == PROFILE
        assert users.verify(SERVER, "alice", "other") is None
        users.remember(SERVER, "alice", "new password", PROFILE)
        assert users.verify(SERVER, "alice", "same password") is None
        with sqlite3.connect(cache_path) as raw:
            rows = raw.execute("SELECT salt, verifier, scrypt_n FROM local_users").fetchall()
        (salt_a, verifier_a, n), (salt_b, verifier_b, _) = rows
        assert salt_a != salt_b and verifier_a != verifier_b  # random salt per user
        assert len(salt_a) >= 16 and n >= 2**14
    finally:
        cache.close()
