"""POST /messages/batch answered as a whole: not a batch, too many items, too large, no
token, nested too deeply. Nothing is stored in any of these cases."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx

from registry_server.settings import MAX_BATCH_ITEMS
from registry_server.submissions import MAX_DEPTH
from tests.server.batch_support import (  # noqa: F401  (fixtures)
    RESULT_FIELDS,
    _assert_refused,
    _is_sentence,
    _results,
    headers_fixture,
    http_fixture,
    server_fixture,
)
from tests.server.helpers import (
    batch_item,
    rows_per_key,
    sign_in,
    stored_message_ids,
    valid_body,
)
from tests.server.helpers import submit as post_message
from tests.server.helpers import submit_batch as post_batch
from tests.support.live_server import LiveServer


def test_a_request_that_is_not_a_batch_is_400_and_stores_nothing(
    http: httpx.Client, headers: dict, server: LiveServer
) -> None:
    good = batch_item(valid_body(seed=51))
    key, message_id = good["idempotency_key"], good["message"]["message_id"]
    text = json.dumps(good)
    bad_requests: list[bytes] = [
        b"{not json",
        b"\xff\xfe",
        b"[]",
        b'"items"',
        b'{"items": []}',
        b'{"items": {}}',
        b"{}",
        f'{{"items": [{text}], "more": 1}}'.encode(),
        f'{{"items": [{text}], "items": [{text}]}}'.encode(),
        f'{{"items": [{text}, 1]}}'.encode(),
        f'{{"items": [{text}, {{"idempotency_key": "{uuid.uuid4()}", "extra": 1}}]}}'.encode(),
        b'{"items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    ]
    for raw in bad_requests:
        response = post_batch(http, headers, raw)
        assert response.status_code == 400, (raw[:80], response.text)
        detail = response.json()["detail"]
        assert _is_sentence(detail) and '{"items": [' in detail, detail
    assert rows_per_key(server.session_factory, [key]) == {key: 0}
    assert stored_message_ids(server.session_factory, [message_id]) == set()


def test_more_items_than_the_server_takes_is_400_and_stores_nothing(
    http: httpx.Client, headers: dict, server: LiveServer
) -> None:
    items = [batch_item(valid_body(seed=i)) for i in range(MAX_BATCH_ITEMS + 1)]

    response = post_batch(http, headers, items)

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert f"{MAX_BATCH_ITEMS + 1} items" in detail and f"at most {MAX_BATCH_ITEMS}" in detail
    assert _is_sentence(detail)
    keys = [item["idempotency_key"] for item in items]
    assert set(rows_per_key(server.session_factory, keys).values()) == {0}
    # ... while the most it takes is accepted.
    results = _results(post_batch(http, headers, items[:MAX_BATCH_ITEMS]), MAX_BATCH_ITEMS)
    assert {r["status"] for r in results} == {201}
    assert set(rows_per_key(server.session_factory, keys[:-1]).values()) == {1}


def test_a_request_over_the_batch_size_limit_is_413_declared_or_streamed(
    http: httpx.Client, headers: dict, server: LiveServer
) -> None:
    # 35 items of about 250 KiB: each under the per-message limit, together over 8 MiB.
    items = [batch_item(valid_body(seed=60 + i, comment="z" * 250_000)) for i in range(35)]
    raw = json.dumps({"items": items}).encode()
    assert len(raw) > 8 * 1024 * 1024

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(raw), 64 * 1024):
            yield raw[start : start + 64 * 1024]

    declared = post_batch(http, headers, raw)
    streamed = http.post(  # no Content-Length: chunked transfer
        "/api/v1/messages/batch", content=chunks(), headers=headers
    )

    for response in (declared, streamed):
        assert response.status_code == 413, response.text[:200]
        detail = response.json()["detail"]
        assert "8192 KiB" in detail and "fewer messages" in detail and _is_sentence(detail)
    keys = [item["idempotency_key"] for item in items]
    assert set(rows_per_key(server.session_factory, keys).values()) == {0}


def test_no_or_expired_token_is_401(http: httpx.Client, server: LiveServer) -> None:
    server.add_user("batch-expiry", "batch-expiry-password")
    expiring = sign_in(http, "batch-expiry", "batch-expiry-password")
    server.expire_tokens("batch-expiry")
    item = batch_item(valid_body(seed=71))

    for headers in ({}, {"Authorization": "Bearer not-a-token"}, expiring):
        response = post_batch(http, headers, [item])
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert _is_sentence(response.json()["detail"]) and "sign" in response.json()["detail"]
    assert rows_per_key(server.session_factory, [item["idempotency_key"]]) == {
        item["idempotency_key"]: 0
    }


def test_a_deeply_nested_message_is_refused_with_a_sentence_not_a_failure(
    http: httpx.Client, headers: dict, server: LiveServer
) -> None:
    fine = batch_item(valid_body(seed=81))
    deep_key = str(uuid.uuid4())
    # Deeper still, Python's json gives up on the whole request: a 400 (test above).
    for depth in (MAX_DEPTH + 1, 500):
        nested = "[" * depth + "]" * depth
        raw = f'{{"items": [{json.dumps(fine)}, {{"idempotency_key": "{deep_key}", '
        raw += f'"message": {{"values": {nested}}}}}]}}'

        results = _results(post_batch(http, headers, raw.encode()), 2)

        assert results[0]["status"] in (200, 201), results[0]
        _assert_refused(results[1], 422, deep_key)
        assert "nested more than" in results[1]["detail"]
        alone = post_message(http, headers, f'{{"values": {nested}}}'.encode(), deep_key)
        assert alone.status_code == 422 and alone.json()["detail"] == results[1]["detail"]
    deepest = b"[" * 100_000 + b"]" * 100_000
    alone = post_message(http, headers, deepest, deep_key)
    assert alone.status_code == 422 and "nested more than" in alone.json()["detail"]
    assert rows_per_key(server.session_factory, [fine["idempotency_key"], deep_key]) == {
        fine["idempotency_key"]: 1,
        deep_key: 0,
    }
