"""The client's half of short-lived tokens, against the real server: the refresh token in the
keyring, one renewal when an access token has expired (whichever thread meets it first),
sign-out that revokes on the server but never waits on a dead network, the escrow key."""

from __future__ import annotations

import json
import threading

import keyring
from sqlalchemy import func, select, update

from desktop_app.auth import KEYRING_SERVICE, Session, SessionService, TokenStore
from desktop_app.sync.api_client import ApiClient
from local_cache import Cache
from registry_server.models import AuditEntry, Token, utcnow
from tests.support.live_server import LiveServer


def _expire_access_tokens(server: LiveServer) -> None:
    """Only the access tokens, as after 15 minutes; the refresh token stays good."""
    with server.session_factory() as db:
        db.execute(update(Token).where(Token.kind == "access").values(expires_at=utcnow()))
        db.commit()


def _audited(server: LiveServer, action: str) -> int:
    with server.session_factory() as db:
        return db.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
        )


def test_sign_in_keeps_the_refresh_token_in_the_keyring_and_the_escrow_key(
    session: Session, server: LiveServer
) -> None:
    key = f"{server.url}|demo"
    assert keyring.get_password(KEYRING_SERVICE, key) == session.token()
    renewal = json.loads(keyring.get_password(KEYRING_SERVICE, key + "|refresh"))
    assert renewal["refresh_token"] and renewal["access_expires_at"]
    assert isinstance(session.escrow_key, bytes) and len(session.escrow_key) == 32


def test_an_expired_access_token_is_renewed_once_for_all_threads(
    session: Session, api: ApiClient, server: LiveServer
) -> None:
    stale = session.token()
    assert stale is not None
    _expire_access_tokens(server)

    results: list[object] = []

    def fetch() -> None:
        try:
            results.append(api.reminders(stale))
        except Exception as exc:  # reported by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert all(isinstance(r, tuple) for r in results), results
    assert _audited(server, "refresh") == 1
    assert _audited(server, "refresh_reused") == 0
    fresh = session.token()
    assert fresh != stale
    # Later requests of the pass that still hold the old token go straight to the new one.
    assert api.receipts(stale)[1] is not None


def test_token_renews_an_access_token_known_to_have_expired(
    session: Session, server: LiveServer
) -> None:
    saved = session.tokens.load(session.server_url, session.username)
    assert saved is not None
    session.tokens.save(
        session.server_url,
        session.username,
        type(saved)(saved.refresh_token, saved.access_token, "2000-01-01T00:00:00Z"),
    )
    fresh = session.token()
    assert fresh is not None and fresh != saved.access_token
    assert _audited(server, "refresh") == 1


def test_a_revoked_sign_in_is_not_renewed(
    session: Session, api: ApiClient, server: LiveServer
) -> None:
    stale = session.token()
    server.expire_tokens("demo")  # access and refresh: the sign-in is over
    assert session.renewed_token(stale) is None


def test_sign_out_revokes_on_the_server_and_forgets_the_keyring_entry(
    sessions: SessionService, api: ApiClient, server: LiveServer
) -> None:
    signed_in = sessions.sign_in("demo", "demo")
    token = signed_in.token()
    sessions.sign_out(signed_in)
    assert signed_in.token() is None
    assert TokenStore().load(server.url, "demo") is None
    assert keyring.get_password(KEYRING_SERVICE, f"{server.url}|demo|refresh") is None
    with ApiClient(server.url, ca_bundle=str(server.ca_path)) as fresh:
        try:
            fresh.reminders(token)
        except Exception as exc:
            assert getattr(exc, "status", None) == 401
        else:
            raise AssertionError("a revoked token still works")
    assert _audited(server, "sign_out") == 1


def test_sign_out_without_the_server_still_signs_out(
    sessions: SessionService, server: LiveServer
) -> None:
    signed_in = sessions.sign_in("demo", "demo")
    server.stop()
    sessions.sign_out(signed_in)
    assert signed_in.token() is None


def test_change_password(sessions: SessionService, api: ApiClient) -> None:
    signed_in = sessions.sign_in("demo", "demo")
    token = signed_in.token()
    assert token is not None
    try:
        api.change_password(token, "demo", "short")
    except Exception as exc:
        assert "at least" in str(exc)
    else:
        raise AssertionError("a short password was taken")
    api.change_password(token, "demo", "a much longer password")
    assert api.sign_in("demo", "a much longer password")["user"]["username"] == "demo"


def test_an_offline_sign_in_renews_the_last_tokens_once_the_server_answers(
    sessions: SessionService, cache: Cache, server: LiveServer
) -> None:
    sessions.sign_in("demo", "demo")
    cache.user_keys.create(server.url, "demo", "demo", escrow_key=None)  # as sign_in does
    server.stop()
    # The app starts again the next morning, offline: a new API client and session service.
    with ApiClient(server.url, ca_bundle=str(server.ca_path), timeout=5) as api:
        later = SessionService(api, cache.users, TokenStore(), server.url)
        offline = later.sign_in("demo", "demo")
        assert offline.offline
        server.start()
        _expire_access_tokens(server)  # a night later the access token is stale

        stale = offline.token()
        assert api.reminders(stale)[1] is not None  # renewed with the refresh token
        assert offline.token() not in (None, stale)
    assert _audited(server, "refresh") == 1
