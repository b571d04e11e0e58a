"""Offline sign-in verifiers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from local_cache import Cache

SERVER = "https://registry.example:8443"
PROFILE = {"display_name": "Dr. Test", "unit": {"id": "unit-1", "name": "Bryst"}}


def test_right_password_gives_the_profile(cache: Cache) -> None:
    cache.users.remember(SERVER, "alice", "correct horse", PROFILE)

    assert cache.users.verify(SERVER, "alice", "correct horse") == PROFILE
    assert cache.users.verify(SERVER + "/", "alice", "correct horse") == PROFILE


def test_wrong_password_user_or_server_gives_none(cache: Cache) -> None:
    cache.users.remember(SERVER, "alice", "correct horse", PROFILE)

    assert cache.users.verify(SERVER, "alice", "Correct horse") is None
    assert cache.users.verify(SERVER, "alice", "") is None
    assert cache.users.verify(SERVER, "bob", "correct horse") is None
    assert cache.users.verify("https://other.example", "alice", "correct horse") is None


def test_remembering_again_replaces_password_and_profile(cache: Cache) -> None:
    cache.users.remember(SERVER, "alice", "old password", PROFILE)
    cache.users.remember(SERVER, "alice", "new password", {**PROFILE, "display_name": "Dr. New"})

    assert cache.users.verify(SERVER, "alice", "old password") is None
    assert cache.users.verify(SERVER, "alice", "new password")["display_name"] == "Dr. New"


def test_only_a_salted_verifier_is_stored(cache: Cache, cache_path: Path) -> None:
    cache.users.remember(SERVER, "alice", "same password", PROFILE)
    cache.users.remember(SERVER, "bob", "same password", PROFILE)

    with sqlite3.connect(cache_path) as raw:
        rows = raw.execute("SELECT salt, verifier, scrypt_n FROM local_users").fetchall()
        dump = "\n".join(raw.iterdump())
    assert "same password" not in dump
    (salt_a, verifier_a, n), (salt_b, verifier_b, _) = rows
    assert salt_a != salt_b and verifier_a != verifier_b  # random salt per user
    assert len(salt_a) >= 16 and n >= 2**14
