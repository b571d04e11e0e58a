"""The batch's fast path (every new item in one transaction) and its fallback (a concurrent
insert met: each item settled alone by the UNIQUE constraints), on SQLite and PostgreSQL,
calling `submit_batch` directly."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from registry_server.accounts import Principal
from registry_server.models import User
from registry_server.signing import demo_key
from registry_server.submission_batch import submit_batch
from registry_server.submissions import submit
from tests.server.helpers import (
    batch_item,
    catalogue,
    rows_per_key,
    stored_receipt,
    valid_body,
)
from tests.support.live_server import LiveServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("batch")) as live:
        yield live


KEY = demo_key()  # what a LiveServer with demo data signs with


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
