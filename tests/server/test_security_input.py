"""Malformed input of every kind is a 4xx with a sentence in `detail`: never a 500, never a
dropped connection. On the real app over HTTPS, on SQLite and PostgreSQL; plus the headers
and the OpenAPI document every client relies on."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.server.helpers import sign_in, valid_body
from tests.support.live_server import LiveServer

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def http(any_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=any_server.url, verify=any_server.ssl_context(), timeout=10
    ) as client:
        yield client


def _refused(response: httpx.Response, *statuses: int) -> dict:
    assert response.status_code in statuses, (response.status_code, response.text)
    data = response.json()
    assert isinstance(data["detail"], str) and data["detail"].endswith("."), data
    return data


def _message_raw(body: dict, **replace: str) -> bytes:
    """The body as JSON text with placeholders replaced by raw JSON (not expressible in
    Python values: lone surrogates, 1e999)."""
    text = json.dumps(body)
    for placeholder, raw in replace.items():
        text = text.replace(f'"{placeholder}"', raw)
    return text.encode("utf-8")


def _post_message(http: httpx.Client, headers: dict, raw: bytes) -> httpx.Response:
    return http.post(
        "/api/v1/messages",
        content=raw,
        headers={**headers, **JSON, "Idempotency-Key": str(uuid.uuid4())},
    )


def test_lone_surrogates(http: httpx.Client) -> None:
    headers = sign_in(http)
    body = valid_body()
    body["values"]["comment"] = "SURROGATE"
    _refused(_post_message(http, headers, _message_raw(body, SURROGATE='"\\ud800"')), 422)
    keyed = valid_body()
    keyed["values"]["KEY"] = 1
    raw = json.dumps(keyed).replace('"KEY"', '"\\udfff"').encode()
    _refused(_post_message(http, headers, raw), 422)
    item = {"idempotency_key": str(uuid.uuid4()), "message": body}
    batch = _message_raw({"items": [item]}, SURROGATE='"\\ud800"')
    response = http.post("/api/v1/messages/batch", content=batch, headers={**headers, **JSON})
    assert response.status_code == 200 and response.json()["results"][0]["status"] == 422
    # A key that is no key is never echoed back (a lone surrogate cannot even be encoded).
    for bad_key in ('"\\ud800"', '"abc\\u0000"'):
        raw = b'{"items": [{"idempotency_key": ' + bad_key.encode() + b', "message": {}}]}'
        response = http.post("/api/v1/messages/batch", content=raw, headers={**headers, **JSON})
        assert response.status_code == 200, response.text
        [result] = response.json()["results"]
        assert (result["status"], result["idempotency_key"]) == (400, None)
    sign = b'{"username": "\\ud800", "password": "\\udc00"}'
    _refused(http.post("/api/v1/auth/token", content=sign, headers=JSON), 422)
    _refused(http.post("/api/v1/auth/token", content=b'{"\\ud800": 1}', headers=JSON), 422)
    refresh = b'{"refresh_token": "\\ud800"}'
    _refused(http.post("/api/v1/auth/refresh", content=refresh, headers=JSON), 422)
    answer = b'{"answer": "not_ours", "reason": "\\ud800"}'
    path = f"/api/v1/reminders/{uuid.uuid4()}/answer"
    _refused(http.post(path, content=answer, headers={**headers, **JSON}), 422)


def test_numbers_that_overflow_a_float(http: httpx.Client) -> None:
    headers = sign_in(http)
    body = valid_body()
    body["values"]["comment"] = "HUGE"
    _refused(_post_message(http, headers, _message_raw(body, HUGE="1e999")), 422)
    body = valid_body()
    body["version"] = "HUGE"
    _refused(_post_message(http, headers, _message_raw(body, HUGE="1e999")), 422)
    item = {"idempotency_key": str(uuid.uuid4()), "message": valid_body()}
    item["message"]["values"]["comment"] = "HUGE"
    raw = _message_raw({"items": [item]}, HUGE="-1e999")
    response = http.post("/api/v1/messages/batch", content=raw, headers={**headers, **JSON})
    assert response.status_code == 200 and response.json()["results"][0]["status"] == 422
    _refused(
        http.post(
            "/api/v1/auth/token", content=b'{"username": 1e999, "password": "x"}', headers=JSON
        ),
        422,
    )


def test_integers_that_overflow(http: httpx.Client) -> None:
    headers = sign_in(http)
    huge = "9" * 30
    for since in (huge, "9223372036854775808", "-1", "1e3", "0x10"):
        _refused(http.get("/api/v1/receipts", params={"since": since}, headers=headers), 400)
    assert (
        http.get("/api/v1/receipts", params={"since": "9" * 18}, headers=headers).status_code == 200
    )
    _refused(http.get(f"/api/v1/forms/breast/assessment/{huge}"), 404, 422)
    _refused(http.get("/api/v1/forms/breast/assessment/-9223372036854775809"), 404, 422)
    body = valid_body()
    body["version"] = "BIG"
    _refused(_post_message(http, headers, _message_raw(body, BIG=huge)), 422)
    body = valid_body()
    body["values"]["comment"] = "BIG"
    _refused(_post_message(http, headers, _message_raw(body, BIG="9" * 5000)), 422)
    _refused(http.get(f"/api/v1/reminders/{huge}/answer", headers=headers), 405)
    path = f"/api/v1/reminders/{huge}/answer"
    response = http.post(path, json={"answer": "not_ours", "reason": "Not ours."}, headers=headers)
    _refused(response, 404)


def test_wrong_content_types(http: httpx.Client) -> None:
    headers = sign_in(http)
    body = json.dumps(valid_body()).encode()
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/x"):
        for path in ("/api/v1/messages", "/api/v1/messages/batch", "/api/v1/auth/token"):
            response = http.post(
                path,
                content=body,
                headers={
                    **headers,
                    "Content-Type": content_type,
                    "Idempotency-Key": str(uuid.uuid4()),
                },
            )
            assert "JSON" in _refused(response, 415)["detail"]
    charset = {**JSON, "Content-Type": "application/json; charset=utf-8"}
    response = http.post(
        "/api/v1/auth/token", json={"username": "demo", "password": "demo"}, headers=charset
    )
    assert response.status_code == 200


def test_bodies_that_are_not_objects(http: httpx.Client) -> None:
    headers = sign_in(http)
    for raw in (b"[]", b"null", b"42", b'"text"', b"true", b"[{}]"):
        _refused(_post_message(http, headers, raw), 422)
        batch = http.post("/api/v1/messages/batch", content=raw, headers={**headers, **JSON})
        _refused(batch, 400)
        _refused(http.post("/api/v1/auth/token", content=raw, headers=JSON), 422)
        _refused(http.post("/api/v1/auth/refresh", content=raw, headers=JSON), 422)
        _refused(http.post("/api/v1/auth/password", content=raw, headers={**headers, **JSON}), 422)


def test_invalid_utf8(http: httpx.Client) -> None:
    headers = sign_in(http)
    for raw in (b'{"username": "\xff\xfe", "password": "x"}', b"\xc3\x28", b"\xed\xa0\x80"):
        _refused(_post_message(http, headers, raw), 422)
        batch = http.post("/api/v1/messages/batch", content=raw, headers={**headers, **JSON})
        _refused(batch, 400)
        _refused(http.post("/api/v1/auth/token", content=raw, headers=JSON), 400, 422)


def test_every_api_answer_is_not_cached(http: httpx.Client) -> None:
    headers = sign_in(http)
    answers = [
        http.post("/api/v1/auth/token", json={"username": "demo", "password": "demo"}),
        http.post("/api/v1/auth/token", json={"username": "demo", "password": "wrong"}),
        http.get("/api/v1/receipts", headers=headers),
        http.get("/api/v1/reminders", headers=headers),
        http.get("/api/v1/statistics", headers=headers),
        http.get("/api/v1/reminders"),
        http.get("/api/v1/forms"),
        http.post("/api/v1/messages", json=valid_body(), headers=headers),
    ]
    for response in answers:
        assert response.headers["Cache-Control"] == "no-store", response.request.url


def test_openapi_tells_the_truth(http: httpx.Client) -> None:
    document = http.get("/api/v1/openapi.json").json()
    text = json.dumps(document)
    components = document["components"]["schemas"]
    for ref in set(re.findall(r'"\$ref": "([^"]+)"', text)):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in components
    assert "HTTPValidationError" not in components

    paths = document["paths"]
    batch = paths["/api/v1/messages/batch"]["post"]
    schema = batch["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["items"]["items"]["$ref"].endswith("/BatchItemIn")

    message = paths["/api/v1/messages"]["post"]
    key = next(p for p in message["parameters"] if p["name"] == "Idempotency-Key")
    assert key["required"] is True and key["in"] == "header"
    assert message["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/InvalidMessage"
    )
    token = paths["/api/v1/auth/token"]["post"]
    assert "Retry-After" in token["responses"]["429"]["headers"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            statuses = operation["responses"]
            if operation.get("security"):
                assert "401" in statuses, (method, path)
            if "requestBody" in operation:
                assert {"413", "415", "422"} <= set(statuses), (method, path)
            for status in ("400", "401", "413", "422", "429"):
                if status in statuses:
                    content = statuses[status]["content"]["application/json"]["schema"]
                    assert content["$ref"].rsplit("/", 1)[1] in {"Problem", "InvalidMessage"}
    props = components["TokenResponse"]["properties"]
    assert {"refresh_token", "refresh_expires_at"} <= set(props)
    assert "escrow_key" in components["UserOut"]["properties"]
