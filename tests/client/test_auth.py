from pathlib import Path

import keyring
import pytest

from desktop_app.auth import SessionService, SignInError, TokenStore
from desktop_app.sync.api_client import ApiClient
from local_cache import Cache
from tests.support.live_server import LiveServer

from .conftest import DEMO_USER


def _cache_bytes(cache: Cache) -> bytes:
    folder = Path(cache.path).parent
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file())


def test_online_sign_in_keeps_the_token_in_the_keyring_only(
    sessions: SessionService, cache: Cache, server: LiveServer
) -> None:
    session = sessions.sign_in(*DEMO_USER)

    assert session.offline is False
    assert session.display_name
    assert session.unit["id"] == server.unit_id_of("demo")
    token = session.token()
    assert token
    assert keyring.get_password("registry-desktop", f"{server.url}|demo") == token
    cache.close()  # checkpoint the WAL so every written byte is in the folder's files
    stored = _cache_bytes(cache)
    assert b"demo" in stored  # the verifier row is there ...
    assert token.encode() not in stored  # ... the token is not

    sessions.sign_out(session)
    assert session.token() is None


def test_offline_sign_in_works_after_one_online_sign_in(
    sessions: SessionService, cache: Cache, server: LiveServer
) -> None:
    online = sessions.sign_in(*DEMO_USER)
    # What desktop_app.sign_in does next: the keys sealed by the password, the offline check.
    cache.user_keys.create(server.url, *DEMO_USER, escrow_key=None)
    server.stop()

    offline = sessions.sign_in(*DEMO_USER)

    assert offline.offline is True
    assert offline.display_name == online.display_name
    assert offline.unit == online.unit
    assert "cannot be reached" in offline.notice
    # The token from the online sign-in is kept, so the outbox can be sent later.
    assert offline.token() == online.token()
    with pytest.raises(SignInError, match="password is wrong"):
        sessions.sign_in("demo", "not-the-password")


def test_wrong_password_online(sessions: SessionService, server: LiveServer) -> None:
    with pytest.raises(SignInError) as caught:
        sessions.sign_in("demo", "wrong")
    assert caught.value.message == "Wrong username or password."
    assert TokenStore().get(server.url, "demo") is None


def test_first_sign_in_needs_the_network(sessions: SessionService, server: LiveServer) -> None:
    server.stop()
    with pytest.raises(SignInError) as caught:
        sessions.sign_in(*DEMO_USER)
    assert "first sign-in on a computer needs a connection" in caught.value.message


def test_empty_credentials_are_refused_before_the_network(cache: Cache) -> None:
    # No server at all: the check happens before any request.
    with ApiClient("https://127.0.0.1:9", timeout=1) as api:
        sessions = SessionService(api, cache.users, TokenStore(), "https://127.0.0.1:9")
        with pytest.raises(SignInError, match="Enter your username and password"):
            sessions.sign_in("  ", "x")


def test_a_throttled_sign_in_is_refused_with_the_wait_never_taken_offline(
    sessions: SessionService, server: LiveServer
) -> None:
    sessions.sign_in(*DEMO_USER)  # this computer could now check the password offline
    messages = []
    for _ in range(12):
        with pytest.raises(SignInError) as caught:
            sessions.sign_in("demo", "not-the-password")
        messages.append(caught.value.message)
        if "wait" in caught.value.message.lower():
            break
    assert "wait" in messages[-1].lower(), messages  # the server's 429 sentence
    # Even the right password is answered by the server's wait, not by the offline check.
    with pytest.raises(SignInError, match=r"(?i)wait"):
        sessions.sign_in(*DEMO_USER)
