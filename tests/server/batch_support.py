"""What the batch tests share: one server (SQLite) per test module, a client, a signed-in
user, and checks of item answers. Imported by the test modules (the fixtures included)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from desktop_app.forms import body_sha256
from tests.server.helpers import (
    sign_in,
)
from tests.support.live_server import LiveServer

RESULT_FIELDS = {"idempotency_key", "status", "receipt", "detail", "issues"}


@pytest.fixture(scope="module", name="server")
def server_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("batch")) as live:
        yield live


@pytest.fixture(scope="module", name="http")
def http_fixture(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, verify=server.ssl_context(), timeout=30) as client:
        yield client


@pytest.fixture(scope="module", name="headers")
def headers_fixture(http: httpx.Client) -> dict:
    return sign_in(http)


def _results(response: httpx.Response, count: int) -> list[dict]:
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == count
    for result in results:
        assert set(result) >= RESULT_FIELDS, result
    return results


def _is_sentence(text: object) -> bool:
    return isinstance(text, str) and len(text.split()) >= 4 and text.endswith(".")


def _assert_refused(result: dict, status: int, key: str | None) -> None:
    assert result["status"] == status, result
    assert result["idempotency_key"] == key
    assert result["receipt"] is None
    assert _is_sentence(result["detail"]), result["detail"]


def _assert_receipt_for(result: dict, status: int, key: str, body: dict) -> None:
    assert result["status"] == status, result
    assert result["idempotency_key"] == key
    assert result["detail"] is None and result["issues"] is None
    assert result["receipt"]["message_id"] == body["message_id"]
    assert result["receipt"]["body_sha256"] == body_sha256(body)


def _with_nan(item: dict) -> str:
    """The item as JSON with a NaN in its message: valid for Python's json, not JSON."""
    text = json.dumps(item)
    return text.replace('"values": {', '"values": {"x": NaN, ', 1)
