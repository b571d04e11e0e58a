"""POST /messages/batch over real HTTPS: one answer per item, in order, as if sent alone.

One server (SQLite) serves the whole module; every test uses keys and message ids of its own
and looks at the rows stored under them, so the tests do not depend on each other.
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.forms import FormDefinition, body_sha256
from registry_server.accounts import Principal
from registry_server.models import User
from registry_server.settings import MAX_BATCH_ITEMS
from registry_server.signing import demo_key
from registry_server.submission_batch import submit_batch
from registry_server.submissions import MAX_DEPTH, submit
from tests.server.helpers import (
    batch_item,
    body_for,
    catalogue,
    rows_per_key,
    sign_in,
    stored_message_ids,
    stored_receipt,
    valid_body,
)
from tests.server.helpers import submit as post_message
from tests.server.helpers import submit_batch as post_batch
from tests.support.live_server import LiveServer

RESULT_FIELDS = {"idempotency_key", "status", "receipt", "detail", "issues"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("batch")) as live:
        yield live


@pytest.fixture(scope="module")
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, verify=server.ssl_context(), timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def headers(http: httpx.Client) -> dict:
    return sign_in(http)


KEY = demo_key()  # what a LiveServer with demo data signs with


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


# Each kind of item answer ---------------------------------------------------------------------


def test_each_item_is_answered_in_order_under_its_own_key(
    http: httpx.Client, headers: dict, server: LiveServer
) -> None:
    new = valid_body(seed=11)
    invalid = valid_body(seed=12, patient_id="12345678901")
    del invalid["values"]["diagnosis_date"]
    unknown_version = {**valid_body(seed=13), "version": 999}
    wrong_shape = {**valid_body(seed=14), "extra": True}
    too_large = valid_body(seed=15, comment="x" * (256 * 1024))
    last = valid_body(seed=16)
    keys = [str(uuid.uuid4()) for _ in range(9)]
    items = [
        batch_item(new, keys[0]),
        batch_item(invalid, keys[1]),
        batch_item(valid_body(seed=17), "abc"),
        {"message": valid_body(seed=18)},  # no key at all
        batch_item(valid_body(seed=19), 12345),  # a key that is not a string
        batch_item(unknown_version, keys[2]),
        batch_item(wrong_shape, keys[3]),
        batch_item(too_large, keys[4]),
        batch_item(last, keys[5]),
        {"idempotency_key": keys[6]},  # no message
    ]
    raw = "[" + ", ".join(json.dumps(item) for item in items)
    raw += ", " + _with_nan(batch_item(valid_body(seed=20), keys[7]))
    # An object with the same name twice is not strict JSON: only its own item is refused.
    duplicated = json.dumps(batch_item(valid_body(seed=21), keys[8]))
    raw += ", " + duplicated.replace('"values": {', '"values": {"a": 1, "a": 2, ', 1) + "]"

    response = post_batch(http, headers, ('{"items": ' + raw + "}").encode())

    results = _results(response, 12)
    _assert_receipt_for(results[0], 201, keys[0], new)
    _assert_refused(results[1], 422, keys[1])
    assert {"patient_id", "diagnosis_date"} <= {i["path"] for i in results[1]["issues"]}
    assert "correct the marked fields" in results[1]["detail"]
    _assert_refused(results[2], 400, "abc")
    assert "not a UUID" in results[2]["detail"] and results[2]["issues"] is None
    _assert_refused(results[3], 400, None)
    assert "missing" in results[3]["detail"]
    _assert_refused(results[4], 400, None)
    _assert_refused(results[5], 422, keys[2])
    assert "no form breast/assessment version 999" in results[5]["detail"]
    assert results[5]["issues"] == []
    _assert_refused(results[6], 422, keys[3])
    assert "agreed shape" in results[6]["detail"]
    _assert_refused(results[7], 413, keys[4])
    assert "256 KiB" in results[7]["detail"] and results[7]["issues"] is None
    _assert_receipt_for(results[8], 201, keys[5], last)
    _assert_refused(results[9], 422, keys[6])
    _assert_refused(results[10], 422, keys[7])
    assert "not valid UTF-8 JSON" in results[10]["detail"]
    _assert_refused(results[11], 422, keys[8])
    assert "same key twice" in results[11]["detail"]

    # Only the two good ones are stored, each with the receipt it was answered with.
    assert rows_per_key(server.session_factory, keys) == {
        **dict.fromkeys(keys, 0),
        keys[0]: 1,
        keys[5]: 1,
    }
    assert stored_receipt(server.session_factory, keys[0]) == results[0]["receipt"]
    assert stored_receipt(server.session_factory, keys[5]) == results[8]["receipt"]
    all_ids = [item["message"]["message_id"] for item in items if "message" in item]
    assert stored_message_ids(server.session_factory, all_ids) == {
        new["message_id"],
        last["message_id"],
    }
    listed = http.get("/api/v1/receipts", headers=headers).json()["receipts"]
    assert results[0]["receipt"] in listed and results[8]["receipt"] in listed


def test_item_answers_match_what_post_messages_answers_alone(
    http: httpx.Client, headers: dict
) -> None:
    """The same refusals through both doors: the same status, and for a message that is not
    valid the same sentence and issues (a key or size refusal names the item, not the header
    or the request)."""
    invalid = valid_body(seed=22, patient_id="12345678901")
    cases = [
        ("abc", valid_body(seed=23)),
        (str(uuid.uuid4()), {**valid_body(seed=24), "version": 999}),
        (str(uuid.uuid4()), {**valid_body(seed=25), "values": []}),
        (str(uuid.uuid4()), invalid),
        (str(uuid.uuid4()), valid_body(seed=26, comment="y" * (256 * 1024))),
    ]
    results = _results(post_batch(http, headers, [batch_item(b, k) for k, b in cases]), 5)

    for (key, body), result in zip(cases, results, strict=True):
        alone = post_message(http, headers, body, key)
        assert result["status"] == alone.status_code, (result, alone.text)
        if alone.status_code == 422:
            assert result["detail"] == alone.json()["detail"]
            assert result["issues"] == alone.json().get("issues")
        else:
            assert _is_sentence(result["detail"]) and result["issues"] is None


def test_a_form_version_past_its_grace_period_names_the_latest(
    http: httpx.Client, headers: dict, server: LiveServer
) -> None:
    old, latest, until = _superseded()
    server.set_today(until + datetime.timedelta(days=1))
    try:
        old_body, new_body = body_for(old, 1, today=until), body_for(latest, 1, today=until)
        results = _results(
            post_batch(http, headers, [batch_item(old_body), batch_item(new_body)]), 2
        )
    finally:
        server.set_today(None)

    _assert_refused(results[0], 422, results[0]["idempotency_key"])
    assert results[0]["latest_version"] == latest.version
    assert results[0]["issues"] == []
    assert results[1]["status"] == 201, results[1]
    assert results[1].get("latest_version") is None


def _superseded() -> tuple[FormDefinition, FormDefinition, datetime.date]:
    forms = catalogue()
    for definition in forms.forms():
        until = forms.accepted_until(definition.registry, definition.form, definition.version)
        if until is not None:
            return definition, forms.latest(definition.registry, definition.form), until
    raise AssertionError("The catalogue should hold a form version with a grace period.")


# Replays, conflicts and duplicates -------------------------------------------------------------


def test_replays_and_conflicts_across_batches_and_single_submissions(
    http: httpx.Client, headers: dict, server: LiveServer
) -> None:
    a, b, c = valid_body(seed=31), valid_body(seed=32), valid_body(seed=33)
    ka, kb, kc, kd = (str(uuid.uuid4()) for _ in range(4))
    first = _results(post_batch(http, headers, [batch_item(a, ka), batch_item(b, kb)]), 2)
    assert [r["status"] for r in first] == [201, 201]
    single = post_message(http, headers, c, kc)
    assert single.status_code == 201

    changed_b = {**b, "values": {**b["values"], "comment": "another body"}}
    again = _results(
        post_batch(
            http,
            headers,
            [
                batch_item(a, ka),  # replay of a batch item
                batch_item(changed_b, kb),  # the key of b with another body
                batch_item(c, kc),  # replay of a single submission
                batch_item(a, kd),  # a stored message under a new key
            ],
        ),
        4,
    )

    assert again[0] == {**first[0], "status": 200}  # the same receipt, as a replay ...
    _assert_refused(again[1], 409, kb)
    assert "different message" in again[1]["detail"]
    assert again[2]["status"] == 200 and again[2]["receipt"] == single.json()
    _assert_refused(again[3], 409, kd)
    assert "already received" in again[3]["detail"]
    # ... and a single replay of a batch item answers the batch's receipt.
    replay = post_message(http, headers, a, ka)
    assert replay.status_code == 200 and replay.json() == first[0]["receipt"]
    assert rows_per_key(server.session_factory, [ka, kb, kc, kd]) == {
        ka: 1,
        kb: 1,
        kc: 1,
        kd: 0,
    }
    assert stored_receipt(server.session_factory, kb) == first[1]["receipt"]


def test_the_same_key_twice_in_one_batch_is_answered_as_one_after_the_other(
    http: httpx.Client, headers: dict, server: LiveServer
) -> None:
    body, other = valid_body(seed=41), valid_body(seed=42)
    invalid = valid_body(seed=43, patient_id="12345678901")
    fixed = {**invalid, "values": {**invalid["values"], "patient_id": body["values"]["patient_id"]}}
    k1, k2, k3 = (str(uuid.uuid4()) for _ in range(3))
    items = [
        batch_item(body, k1),
        batch_item(body, k1),  # replay of the item before
        batch_item(other, k1),  # another body under that key
        batch_item(invalid, k2),  # refused: nothing stored under k2 ...
        batch_item(fixed, k2),  # ... so the corrected message is new
        batch_item(other, k3),
        batch_item(other, k3),
        batch_item(body, str(uuid.uuid4())),  # the first message again under a new key
    ]

    results = _results(post_batch(http, headers, items), len(items))

    _assert_receipt_for(results[0], 201, k1, body)
    assert results[1]["status"] == 200 and results[1]["receipt"] == results[0]["receipt"]
    _assert_refused(results[2], 409, k1)
    _assert_refused(results[3], 422, k2)
    _assert_receipt_for(results[4], 201, k2, fixed)
    _assert_receipt_for(results[5], 201, k3, other)
    assert results[6]["status"] == 200 and results[6]["receipt"] == results[5]["receipt"]
    assert results[7]["status"] == 409 and "already received" in results[7]["detail"]
    assert rows_per_key(server.session_factory, [k1, k2, k3]) == {k1: 1, k2: 1, k3: 1}
    assert stored_receipt(server.session_factory, k1) == results[0]["receipt"]
    assert stored_receipt(server.session_factory, k2) == results[4]["receipt"]


def test_a_key_in_capitals_is_the_same_key_and_is_answered_as_sent(
    http: httpx.Client, headers: dict, server: LiveServer
) -> None:
    body, key = valid_body(seed=44), str(uuid.uuid4())

    results = _results(post_batch(http, headers, [batch_item(body, key.upper())]), 1)

    _assert_receipt_for(results[0], 201, key.upper(), body)
    replay = post_message(http, headers, body, key)
    assert replay.status_code == 200 and replay.json() == results[0]["receipt"]
    assert rows_per_key(server.session_factory, [key]) == {key: 1}


def test_another_units_key_is_a_conflict_that_reveals_nothing(
    http: httpx.Client, headers: dict, server: LiveServer
) -> None:
    body, key = valid_body(seed=45), str(uuid.uuid4())
    assert _results(post_batch(http, headers, [batch_item(body, key)]), 1)[0]["status"] == 201

    theirs = _results(post_batch(http, sign_in(http, "bergen"), [batch_item(body, key)]), 1)

    _assert_refused(theirs[0], 409, key)
    assert body["message_id"] not in json.dumps(theirs)
    assert rows_per_key(server.session_factory, [key]) == {key: 1}


def test_a_stored_item_resolves_its_patients_reminder_and_a_refused_one_does_not(
    http: httpx.Client, headers: dict, server: LiveServer
) -> None:
    body = valid_body(seed=46)
    refused = valid_body(seed=47)
    del refused["values"]["diagnosis_date"]
    answered = server.add_reminder(
        "demo", registry="breast", form="assessment", patient_id=body["values"]["patient_id"]
    )
    still_open = server.add_reminder(
        "demo", registry="breast", form="assessment", patient_id=refused["values"]["patient_id"]
    )

    results = _results(post_batch(http, headers, [batch_item(body), batch_item(refused)]), 2)

    assert [r["status"] for r in results] == [201, 422]
    open_ids = {r["id"] for r in http.get("/api/v1/reminders", headers=headers).json()["reminders"]}
    assert answered not in open_ids and still_open in open_ids


# Whole-request answers ------------------------------------------------------------------------


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


# The fast path and the fallback ----------------------------------------------------------------


class _RaceBeforeInsert:
    """The server's session factory, except that just before the batch's insert transaction
    begins (after its lookup and its checks) `race` runs once: what a concurrent request that
    stores some of the batch's keys at exactly that moment does. `submit` alone never calls
    `begin()`, so the fallback's own writes are not raced."""

    def __init__(self, factory: sessionmaker[Session], race: Callable[[], None]) -> None:
        self._factory = factory
        self._race: Callable[[], None] | None = race
        self.raced = 0

    def __call__(self) -> Session:
        return self._factory()

    def begin(self) -> AbstractContextManager[Session]:
        if self._race is not None:
            race, self._race = self._race, None
            race()
            self.raced += 1
        return self._factory.begin()


def _principal(factory: sessionmaker[Session], username: str) -> Principal:
    with factory() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return Principal(user_id=user.id, username=user.username, unit_id=user.unit_id)


@pytest.fixture(scope="module")
def pg_server(
    tmp_path_factory: pytest.TempPathFactory, postgres_database_url: str
) -> Iterator[LiveServer]:
    folder: Path = tmp_path_factory.mktemp("batch-pg")
    with LiveServer(folder, database_url=postgres_database_url) as live:
        yield live


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def any_server(request: pytest.FixtureRequest) -> LiveServer:
    return request.getfixturevalue("server" if request.param == "sqlite" else "pg_server")


def _batch_of(bodies: list[dict]) -> list[dict[str, Any]]:
    return [batch_item(body) for body in bodies]


def test_fast_path_stores_every_item_in_one_go(
    any_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    factory = any_server.session_factory
    principal = _principal(factory, "demo")
    items = _batch_of([valid_body(seed=90 + i) for i in range(20)])
    items.append(dict(items[3]))  # a replay inside the batch

    with caplog.at_level(logging.INFO, logger="registry_server.submission_batch"):
        results = submit_batch(factory, catalogue(), principal, items, signer=KEY)

    assert [r["status"] for r in results] == [201] * 20 + [200]
    assert results[20]["receipt"] == results[3]["receipt"]
    messages = [r.getMessage() for r in caplog.records]
    assert "Received 20 message(s) in a batch from unit" in " ".join(messages)
    assert not any("concurrent" in m for m in messages)
    keys = [item["idempotency_key"] for item in items]
    assert set(rows_per_key(factory, keys).values()) == {1}
    for item, result in zip(items, results, strict=True):
        assert stored_receipt(factory, item["idempotency_key"]) == result["receipt"]


def test_fallback_after_a_concurrent_insert_stores_each_key_once(
    any_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A concurrent request stores some of the batch's keys between its lookup and its insert:
    the insert fails as a whole, and each item is settled alone by the UNIQUE constraints."""
    factory = any_server.session_factory
    principal = _principal(factory, "demo")
    fresh = [valid_body(seed=100 + i) for i in range(4)]
    same, other_body, same_message = (valid_body(seed=110 + i) for i in range(3))
    invalid = valid_body(seed=113)
    del invalid["values"]["diagnosis_date"]
    changed = {**other_body, "values": {**other_body["values"], "comment": "changed"}}
    items = [
        batch_item(fresh[0]),
        batch_item(same),  # the competitor stores this very item
        batch_item(fresh[1]),
        batch_item(changed),  # the competitor stores another body under this key
        batch_item(invalid),
        batch_item(same_message),  # the competitor stores this message under another key
        batch_item(fresh[2]),
        batch_item(fresh[3]),
    ]
    items.append(dict(items[0]))  # a replay of the first item inside the batch
    keys = [item["idempotency_key"] for item in items]
    # The last key in key order as well: a partial insert would already have stored the others.
    items.append(
        batch_item(valid_body(seed=114), "ffffffff-ffff-4fff-bfff-" + uuid.uuid4().hex[:12])
    )
    raced_keys = [keys[1], keys[3], items[-1]["idempotency_key"]]
    competitor: dict[str, Any] = {}

    def race() -> None:
        competitor["same"] = submit(
            factory, catalogue(), principal, same, keys[1], signer=KEY
        ).receipt
        competitor["other"] = submit(
            factory, catalogue(), principal, other_body, keys[3], signer=KEY
        ).receipt
        competitor["message"] = submit(
            factory, catalogue(), principal, same_message, str(uuid.uuid4()), signer=KEY
        ).receipt
        last = items[-1]
        submit(
            factory, catalogue(), principal, last["message"], last["idempotency_key"], signer=KEY
        )

    racing = _RaceBeforeInsert(factory, race)
    with caplog.at_level(logging.INFO, logger="registry_server.submission_batch"):
        results = submit_batch(  # type: ignore[arg-type]
            racing, catalogue(), principal, items, signer=KEY
        )

    assert racing.raced == 1
    assert any("met a concurrent submission" in r.getMessage() for r in caplog.records)
    assert [r["status"] for r in results] == [201, 200, 201, 409, 422, 409, 201, 201, 200, 200]
    assert [r["idempotency_key"] for r in results] == [*keys, raced_keys[2]]
    assert results[1]["receipt"] == competitor["same"]
    assert "different message" in results[3]["detail"]
    assert "already received" in results[5]["detail"]
    assert results[8]["receipt"] == results[0]["receipt"]
    counts = rows_per_key(factory, keys + raced_keys)
    assert counts == {**dict.fromkeys(keys, 1), keys[4]: 0, keys[5]: 0, raced_keys[2]: 1}
    assert stored_receipt(factory, keys[3]) == competitor["other"]
    for index in (0, 2, 6, 7):
        assert stored_receipt(factory, keys[index]) == results[index]["receipt"]
