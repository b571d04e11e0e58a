"""Tokens on a network: short access tokens, rotating refresh tokens, sign-out, password
change, escrow keys, sign-in throttling and the audit log, over real HTTPS."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from registry_server.models import AuditEntry, SignInThrottle, Token, utcnow
from tests.server.helpers import submit, valid_body
from tests.support.live_server import LiveServer

TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/refresh"
SIGN_OUT = "/api/v1/auth/sign-out"
PASSWORD = "/api/v1/auth/password"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    # Delays of a second or two, so waiting them out does not take minutes.
    with LiveServer(tmp_path / "server", sign_in_delay_s=1.0, sign_in_max_delay_s=2.0) as server:
        yield server


@pytest.fixture
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, verify=server.ssl_context(), timeout=10) as client:
        yield client


def _sign_in(http: httpx.Client, username: str = "demo", password: str = "demo") -> dict:
    response = http.post(TOKEN, json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def _bearer(answer: dict) -> dict:
    return {"Authorization": f"Bearer {answer['access_token']}"}


def _audit(server: LiveServer) -> list[tuple[str, str | None]]:
    with server.session_factory() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.username).order_by(AuditEntry.id)
        ).all()
    return [(row[0], row[1]) for row in rows]


def test_sign_in_answers_short_access_and_refresh_tokens_and_the_escrow_key(
    http: httpx.Client,
) -> None:
    answer = _sign_in(http)
    now = datetime.now(UTC)
    assert now < datetime.fromisoformat(answer["expires_at"]) <= now + timedelta(minutes=16)
    refresh_expires = datetime.fromisoformat(answer["refresh_expires_at"])
    assert now + timedelta(hours=11) < refresh_expires <= now + timedelta(hours=12, minutes=1)
    assert answer["refresh_token"] != answer["access_token"]
    escrow = answer["user"]["escrow_key"]
    assert len(base64.urlsafe_b64decode(escrow + "=" * (-len(escrow) % 4))) == 32
    assert _sign_in(http)["user"]["escrow_key"] == escrow  # one per user, stable
    assert _sign_in(http, "bergen")["user"]["escrow_key"] != escrow


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_sign_in(
    http: httpx.Client, server: LiveServer
) -> None:
    first = _sign_in(http)
    renewed = http.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert renewed.status_code == 200
    second = renewed.json()
    assert set(second) == set(first) and second["user"] == first["user"]
    assert second["refresh_token"] != first["refresh_token"]
    assert http.get("/api/v1/reminders", headers=_bearer(second)).status_code == 200
    assert http.get("/api/v1/reminders", headers=_bearer(first)).status_code == 401

    # The first refresh token again: someone has a copy; the whole sign-in goes.
    reused = http.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401 and "sign in again" in reused.json()["detail"]
    assert http.get("/api/v1/reminders", headers=_bearer(second)).status_code == 401
    assert http.post(REFRESH, json={"refresh_token": second["refresh_token"]}).status_code == 401
    assert ("refresh_reused", "demo") in _audit(server)


def test_an_access_token_is_no_refresh_token(http: httpx.Client) -> None:
    answer = _sign_in(http)
    response = http.post(REFRESH, json={"refresh_token": answer["access_token"]})
    assert response.status_code == 401
    assert http.get("/api/v1/reminders", headers=_bearer(answer)).status_code == 200


def test_expired_access_token_is_renewed_with_the_refresh_token(
    http: httpx.Client, server: LiveServer
) -> None:
    answer = _sign_in(http)
    with server.session_factory() as session:
        session.execute(update(Token).where(Token.kind == "access").values(expires_at=utcnow()))
        session.commit()
    assert http.get("/api/v1/reminders", headers=_bearer(answer)).status_code == 401
    renewed = http.post(REFRESH, json={"refresh_token": answer["refresh_token"]}).json()
    assert http.get("/api/v1/reminders", headers=_bearer(renewed)).status_code == 200


def test_sign_out_revokes_that_sign_in_only(http: httpx.Client, server: LiveServer) -> None:
    one, other = _sign_in(http), _sign_in(http)
    response = http.post(SIGN_OUT, headers=_bearer(one))
    assert response.status_code == 204 and response.content == b""
    assert http.get("/api/v1/reminders", headers=_bearer(one)).status_code == 401
    assert http.post(REFRESH, json={"refresh_token": one["refresh_token"]}).status_code == 401
    assert http.get("/api/v1/reminders", headers=_bearer(other)).status_code == 200
    assert http.post(SIGN_OUT, headers=_bearer(one)).status_code == 401
    assert ("sign_out", "demo") in _audit(server)


def test_password_change(http: httpx.Client, server: LiveServer) -> None:
    here, elsewhere = _sign_in(http), _sign_in(http)
    escrow = here["user"]["escrow_key"]

    short = http.post(
        PASSWORD, json={"current_password": "demo", "new_password": "short"}, headers=_bearer(here)
    )
    assert short.status_code == 422 and "at least 10 characters" in short.json()["detail"]
    wrong = http.post(
        PASSWORD,
        json={"current_password": "not it", "new_password": "a long new password"},
        headers=_bearer(here),
    )
    assert wrong.status_code == 403 and "current password" in wrong.json()["detail"]

    changed = http.post(
        PASSWORD,
        json={"current_password": "demo", "new_password": "a long new password"},
        headers=_bearer(here),
    )
    assert changed.status_code == 204
    assert http.get("/api/v1/reminders", headers=_bearer(here)).status_code == 200
    assert http.get("/api/v1/reminders", headers=_bearer(elsewhere)).status_code == 401
    assert http.post(TOKEN, json={"username": "demo", "password": "demo"}).status_code == 401
    again = _sign_in(http, "demo", "a long new password")
    assert again["user"]["escrow_key"] == escrow
    actions = [action for action, _ in _audit(server)]
    assert "password_change_refused" in actions and "password_changed" in actions


def test_many_wrong_passwords_are_slowed_down_and_the_right_one_works_after_the_wait(
    http: httpx.Client, server: LiveServer
) -> None:
    statuses = []
    for _ in range(200):
        response = http.post(TOKEN, json={"username": "demo", "password": "guess"})
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[-1] == 429 and len(statuses) <= 6, statuses
    assert set(statuses[:-1]) == {401}
    limited = http.post(TOKEN, json={"username": "demo", "password": "demo"})
    assert limited.status_code == 429  # even the right password waits
    wait = int(limited.headers["Retry-After"])
    assert 1 <= wait <= 2 and "wait" in limited.json()["detail"]

    # 200 more: never a token, mostly refused without a password check.
    answers = [
        http.post(TOKEN, json={"username": "demo", "password": f"guess {i}"}).status_code
        for i in range(200)
    ]
    assert set(answers) <= {401, 429} and answers.count(429) > 150

    time.sleep(2.1)  # the cap (sign_in_max_delay_s)
    assert http.post(TOKEN, json={"username": "demo", "password": "demo"}).status_code == 200
    with server.session_factory() as session:
        keys = session.scalars(select(SignInThrottle.key)).all()
    assert all(not key.startswith("user:") for key in keys)  # the success forgot the count
    assert all("demo" not in key for key in keys)  # usernames are stored hashed
    actions = _audit(server)
    assert ("sign_in_refused", "demo") in actions
    assert ("sign_in_rate_limited", "demo") in actions
    assert actions[-1] == ("sign_in", "demo")


def test_other_users_are_not_slowed_by_one_users_guesser(
    http: httpx.Client, server: LiveServer
) -> None:
    for _ in range(6):
        http.post(TOKEN, json={"username": "demo", "password": "guess"})
    assert http.post(TOKEN, json={"username": "demo", "password": "x"}).status_code == 429
    assert _sign_in(http, "bergen")["user"]["username"] == "bergen"


def test_unknown_usernames_are_audited_without_the_name(
    http: httpx.Client, server: LiveServer
) -> None:
    response = http.post(TOKEN, json={"username": "my secret password", "password": "x"})
    assert response.status_code == 401
    assert _audit(server)[-1] == ("sign_in_refused", None)


def test_messages_are_audited_without_patient_data(http: httpx.Client, server: LiveServer) -> None:
    headers = _bearer(_sign_in(http))
    body = valid_body()
    first = submit(http, headers, body, key := "6f1c1f5e-8f3b-4d53-9c5a-2f1f3f1e2d11")
    assert first.status_code == 201
    assert submit(http, headers, body, key).status_code == 200
    assert submit(http, headers, valid_body(patient_id="12345678901")).status_code == 422
    with server.session_factory() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("message%")).order_by(AuditEntry.id)
        ).all()
    assert [r.action for r in rows] == ["message_received", "message_replay", "message_refused"]
    assert rows[0].message_id == body["message_id"] == rows[1].message_id
    assert rows[0].body_sha256 == first.json()["body_sha256"]
    assert {r.username for r in rows} == {"demo"} and rows[0].client_address == "127.0.0.1"
    columns = [column.key for column in AuditEntry.__table__.columns]
    stored = " ".join(str(getattr(r, c)) for r in rows for c in columns)
    assert body["values"]["patient_id"] not in stored and "12345678901" not in stored
