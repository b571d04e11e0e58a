"""The clinician's UserSession over the real server and a real cache file: rows written in
plain text by an earlier version are encrypted once, when the clinician's keys are made; a
plain or changed row that turns up later is refused, never adopted, shown or sent."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.app import Services, build_services
from desktop_app.sign_in import sign_in
from desktop_app.user_session import UserSession
from local_cache import MessageState
from local_cache.crypto import to_json
from local_cache.outbox import TAMPERED_BODY
from tests.support.client_settings import settings_for_tests
from tests.support.live_server import LiveServer


@pytest.fixture
def services(server: LiveServer, tmp_path: Path) -> Iterator[Services]:
    built = build_services(settings_for_tests(server, tmp_path / "client"))
    yield built
    built.shutdown()


def _signed_in(services: Services) -> UserSession:
    user = sign_in(services, "demo", "demo")
    assert isinstance(user, UserSession), user
    return user


def _plain_queued(services: Services, owner: str, patient: str) -> str:
    """A queued message in plain JSON, as an earlier version (or someone with the file) wrote."""
    record = services.cache.messages.create_draft(owner, "breast", "assessment", 3, {})
    body = {
        "message_id": record.id,
        "registry": "breast",
        "form": "assessment",
        "version": 3,
        "values": {"patient_name": patient},
    }
    services.cache.messages.submit(record.id, body)
    return record.id


def test_rows_of_an_earlier_version_are_encrypted_when_the_keys_are_made(
    services: Services,
) -> None:
    earlier = _plain_queued(services, "demo", "Eldre Versjon")
    user = _signed_in(services)  # first sign-in here: keys made, the plain rows adopted
    try:
        assert [m.id for m in user.cache.messages.claim_outgoing(None)] == [earlier]
        assert b"Eldre Versjon" not in _file_bytes(services)
        # The password hash made at the online sign-in is gone: the sealed keys are the check.
        with sqlite3.connect(services.cache.path) as raw:
            assert raw.execute("SELECT verifier FROM local_users").fetchone() == (b"",)
    finally:
        user.end()


def test_a_plain_row_planted_later_is_refused_not_adopted_or_sent(services: Services) -> None:
    _signed_in(services).end()  # the keys exist from now on
    planted = _plain_queued(services, "demo", "Plantet Pasient")
    user = _signed_in(services)
    try:
        assert user.cache.messages.list(None) == []  # not shown
        assert user.cache.messages.claim_outgoing(None) == []  # not sent
        with sqlite3.connect(services.cache.path) as raw:
            state, error, blob = raw.execute(
                "SELECT state, last_error, body_blob FROM messages WHERE id = ?", (planted,)
            ).fetchone()
        assert (state, error) == (MessageState.REJECTED.value, TAMPERED_BODY)
        assert blob == to_json(
            {
                "message_id": planted,
                "registry": "breast",
                "form": "assessment",
                "version": 3,
                "values": {"patient_name": "Plantet Pasient"},
            }
        )  # left as found: not encrypted, so never taken for the clinician's own
    finally:
        user.end()


def _file_bytes(services: Services) -> bytes:
    path = services.cache.path
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
