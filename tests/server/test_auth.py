"""Signing in and bearer tokens, over real HTTPS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from registry_server.models import Token, User
from tests.server.helpers import sign_in
from tests.support.live_server import LiveServer


def test_sign_in_returns_token_user_and_unit(client: httpx.Client) -> None:
    response = client.post("/api/v1/auth/token", json={"username": "demo", "password": "demo"})

    assert response.status_code == 200
    data = response.json()
    assert data["token_type"] == "bearer"
    assert len(data["access_token"]) >= 32
    expires_at = datetime.fromisoformat(data["expires_at"])
    assert datetime.now(UTC) < expires_at <= datetime.now(UTC) + timedelta(minutes=16)
    assert data["user"]["username"] == "demo"
    assert data["user"]["unit"]["hospital_code"] == "0320"
    assert set(data["user"]["unit"]) == {
        "id",
        "name",
        "hospital_code",
        "hospital_name",
        "department",
    }


def test_token_opens_the_unit_endpoints(client: httpx.Client) -> None:
    headers = sign_in(client)
    assert client.get("/api/v1/reminders", headers=headers).status_code == 200
    assert client.get("/api/v1/receipts", headers=headers).status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_401(client: httpx.Client) -> None:
    for username, password in [("demo", "wrong"), ("nobody", "demo")]:
        response = client.post(
            "/api/v1/auth/token", json={"username": username, "password": password}
        )
        assert response.status_code == 401
        assert response.json() == {"detail": "Wrong username or password."}
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_sign_in_request_of_wrong_shape_is_422_with_a_sentence(client: httpx.Client) -> None:
    response = client.post("/api/v1/auth/token", json={"username": "demo"})
    assert response.status_code == 422
    assert "password" in response.json()["detail"]
    response = client.post(
        "/api/v1/auth/token", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str)


def test_requests_without_a_valid_token_get_401(
    client: httpx.Client, live_server: LiveServer
) -> None:
    requests = [
        ("GET", "/api/v1/reminders"),
        ("GET", "/api/v1/receipts"),
        ("POST", "/api/v1/messages"),
    ]
    for method, path in requests:
        for headers in [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic x"}]:
            response = client.request(method, path, headers=headers)
            assert response.status_code == 401, (method, path, headers)
            assert response.headers["WWW-Authenticate"] == "Bearer"
            assert isinstance(response.json()["detail"], str)


def test_expired_token_is_refused(client: httpx.Client, live_server: LiveServer) -> None:
    headers = sign_in(client)
    assert live_server.expire_tokens("demo") == 2  # the access and the refresh token

    response = client.get("/api/v1/reminders", headers=headers)

    assert response.status_code == 401
    assert "sign in again" in response.json()["detail"]


def test_only_a_hash_of_the_token_and_password_is_stored(
    client: httpx.Client, live_server: LiveServer
) -> None:
    token = sign_in(client)["Authorization"].removeprefix("Bearer ")
    with live_server.session_factory() as session:
        stored = session.scalars(select(Token.token_sha256)).all()
        password_hash = session.scalar(select(User.password_hash).filter_by(username="demo"))
    assert token not in stored and len(stored) == 2  # access and refresh
    assert password_hash.startswith("scrypt$") and "demo" not in password_hash.split("$")[4:]


def test_added_user_can_sign_in(client: httpx.Client, live_server: LiveServer) -> None:
    unit_id = live_server.add_user("tromso", "s3cret", unit_name="Surgery", hospital_code="1901")
    response = client.post("/api/v1/auth/token", json={"username": "tromso", "password": "s3cret"})
    assert response.status_code == 200
    assert response.json()["user"]["unit"]["id"] == unit_id
