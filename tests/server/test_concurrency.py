"""Twenty clients at once with one idempotency key: one row, and every answer agrees with it.

Each test runs on SQLite and on PostgreSQL. Every client has its own connection, finishes its
TLS handshake first and then waits at a barrier, so the twenty requests really reach the
server at the same moment.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from desktop_app.forms import body_sha256
from tests.server.helpers import (
    batch_item,
    rows_per_key,
    sign_in,
    stored_receipt,
    submit,
    submit_batch,
    valid_body,
)
from tests.support.live_server import LiveServer

CLIENTS = 20
OWN = 5


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("concurrency")) as live:
        yield live


@pytest.fixture(scope="module")
def postgres_server(
    tmp_path_factory: pytest.TempPathFactory, postgres_database_url: str
) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("concurrency-pg")
    with LiveServer(folder, database_url=postgres_database_url) as live:
        yield live


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest) -> LiveServer:
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture
def headers(server: LiveServer) -> dict:
    with httpx.Client(base_url=server.url, verify=server.ssl_context()) as client:
        return sign_in(client)


def _all_at_once(
    server: LiveServer, send: Callable[[httpx.Client, int], httpx.Response]
) -> list[httpx.Response]:
    """`send(client, i)` for i in 0..19, each on its own connection, released together."""
    barrier = threading.Barrier(CLIENTS, timeout=30)
    context = server.ssl_context()

    def one(index: int) -> httpx.Response:
        with httpx.Client(base_url=server.url, verify=context, timeout=60) as client:
            client.get("/api/v1/health").raise_for_status()  # connected and handshaken
            barrier.wait()
            return send(client, index)

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return list(pool.map(one, range(CLIENTS)))


def _variant(body: dict, variant: int) -> dict:
    """The same message (same message_id) with a different answer: another body."""
    return {**body, "values": {**body["values"], "comment": f"variant {variant}"}}


def test_twenty_submissions_of_one_message_store_one_row_with_one_receipt(
    server: LiveServer, headers: dict
) -> None:
    body, key = valid_body(seed=1), str(uuid.uuid4())

    responses = _all_at_once(server, lambda client, _: submit(client, headers, body, key))

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 200: CLIENTS - 1}, [r.text for r in responses]
    assert all(r.json() == responses[0].json() for r in responses)
    assert rows_per_key(server.session_factory, [key]) == {key: 1}
    assert stored_receipt(server.session_factory, key) == responses[0].json()


def test_twenty_different_bodies_under_one_key_store_one_and_refuse_the_rest(
    server: LiveServer, headers: dict
) -> None:
    base, key = valid_body(seed=2), str(uuid.uuid4())
    bodies = [_variant(base, i % 4) for i in range(CLIENTS)]  # four bodies, five times each

    responses = _all_at_once(server, lambda client, i: submit(client, headers, bodies[i], key))

    assert rows_per_key(server.session_factory, [key]) == {key: 1}
    stored = stored_receipt(server.session_factory, key)
    winners = [i for i, r in enumerate(responses) if r.status_code == 201]
    assert len(winners) == 1, [r.text for r in responses]
    winning_body = bodies[winners[0]]
    assert stored["body_sha256"] == body_sha256(winning_body)
    for body, response in zip(bodies, responses, strict=True):
        if body == winning_body:
            assert response.status_code in (200, 201) and response.json() == stored
        else:
            assert response.status_code == 409, response.text
            assert "receipt_id" not in response.json()


def test_twenty_batches_sharing_keys_store_each_key_once(
    server: LiveServer, headers: dict, caplog: pytest.LogCaptureFixture
) -> None:
    shared, shared_key = valid_body(seed=3), str(uuid.uuid4())
    contested, contested_key = valid_body(seed=4), str(uuid.uuid4())
    # Five messages of its own in each batch: checking them keeps each batch busy between its
    # lookup and its insert, the window in which another batch stores a shared key.
    own = [valid_body(seed=10 + i) for i in range(CLIENTS * OWN)]
    own_keys = [str(uuid.uuid4()) for _ in own]

    def items(i: int) -> list[dict]:
        mine = range(i * OWN, (i + 1) * OWN)
        batch = [
            batch_item(shared, shared_key),
            *(batch_item(own[j], own_keys[j]) for j in mine),
            batch_item(_variant(contested, i % 2), contested_key),
        ]
        # Half of the batches list the shared keys in the other order: a server that took
        # its locks in request order would deadlock here on PostgreSQL.
        return batch if i % 2 else batch[::-1]

    with caplog.at_level(logging.INFO, logger="registry_server.submission_batch"):
        responses = _all_at_once(server, lambda client, i: submit_batch(client, headers, items(i)))

    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    by_key: dict[str, list[tuple[int, dict]]] = {}
    for i, response in enumerate(responses):
        results = response.json()["results"]
        sent = [item["idempotency_key"] for item in items(i)]
        assert [r["idempotency_key"] for r in results] == sent  # in the items' order
        for result in results:
            by_key.setdefault(result["idempotency_key"], []).append((i, result))

    counts = rows_per_key(server.session_factory, [shared_key, contested_key, *own_keys])
    assert set(counts.values()) == {1}
    shared_receipt = stored_receipt(server.session_factory, shared_key)
    shared_results = [result for _, result in by_key[shared_key]]
    assert Counter(r["status"] for r in shared_results) == {201: 1, 200: CLIENTS - 1}
    assert all(r["receipt"] == shared_receipt for r in shared_results)
    for i, key in enumerate(own_keys):
        [(_, result)] = by_key[key]
        assert result["status"] == 201
        assert result["receipt"] == stored_receipt(server.session_factory, key)
        assert result["receipt"]["message_id"] == own[i]["message_id"]

    contested_receipt = stored_receipt(server.session_factory, contested_key)
    winner = [i for i, r in by_key[contested_key] if r["status"] == 201]
    assert len(winner) == 1
    for i, result in by_key[contested_key]:
        if i % 2 == winner[0] % 2:  # the winner's body
            assert result["status"] in (200, 201) and result["receipt"] == contested_receipt
        else:
            assert result["status"] == 409 and result["receipt"] is None
    # The requests really overlapped: some batch met another's insert and fell back.
    fallbacks = [r for r in caplog.records if "met a concurrent submission" in r.getMessage()]
    assert fallbacks


def test_single_and_batch_submissions_of_one_key_at_once(server: LiveServer, headers: dict) -> None:
    body, key = valid_body(seed=5), str(uuid.uuid4())

    def send(client: httpx.Client, i: int) -> httpx.Response:
        if i % 2:
            return submit(client, headers, body, key)
        return submit_batch(client, headers, [batch_item(body, key)])

    responses = _all_at_once(server, send)

    receipts, statuses = [], []
    for response in responses:
        if response.request.url.path.endswith("/batch"):
            [result] = response.json()["results"]
            statuses.append(result["status"])
            receipts.append(result["receipt"])
        else:
            statuses.append(response.status_code)
            receipts.append(response.json())
    assert Counter(statuses) == {201: 1, 200: CLIENTS - 1}, statuses
    assert rows_per_key(server.session_factory, [key]) == {key: 1}
    assert all(r == stored_receipt(server.session_factory, key) for r in receipts)
