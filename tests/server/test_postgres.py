"""Idempotency and migrations on PostgreSQL (several server processes share it in production)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from registry_server.cli import main
from registry_server.db import make_engine
from registry_server.models import Base
from tests.server.helpers import (
    body_for,
    eligible_body,
    reservation_field,
    sign_in,
    submit,
    valid_body,
)
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_server(tmp_path: Path, postgres_database_url: str) -> Iterator[LiveServer]:
    with LiveServer(tmp_path / "server", database_url=postgres_database_url) as server:
        yield server


def test_schema_matches_the_models(pg_server: LiveServer) -> None:
    engine = make_engine(pg_server.database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_idempotency_on_postgres(pg_server: LiveServer) -> None:
    before = pg_server.message_count()  # the database lives for the whole test run
    with httpx.Client(base_url=pg_server.url, verify=pg_server.ssl_context()) as client:
        headers = sign_in(client)
        body, key = valid_body(), str(uuid.uuid4())

        with ThreadPoolExecutor(max_workers=6) as pool:
            responses = list(pool.map(lambda _: submit(client, headers, body, key), range(6)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 5 + [201], [r.text for r in responses]
        assert len({r.json()["receipt_id"] for r in responses}) == 1

        changed = {**body, "values": {**body["values"], "comment": "another body"}}
        assert submit(client, headers, changed, key).status_code == 409
        invalid = valid_body(patient_id="12345678901")
        assert submit(client, headers, invalid).status_code == 422

    assert pg_server.message_count() == before + 1


def test_transfer_flags_on_postgres(
    pg_server: LiveServer, capsys: pytest.CaptureFixture[str]
) -> None:
    definition, eligible = eligible_body()
    reserved = body_for(definition, 1, **{reservation_field(definition): "1"})
    with httpx.Client(base_url=pg_server.url, verify=pg_server.ssl_context()) as client:
        headers = sign_in(client)
        for body in (eligible, reserved):
            assert submit(client, headers, body).status_code == 201

    assert main(["transfers", "--list", "--database-url", pg_server.database_url]) == 0
    listed = capsys.readouterr().out.split()
    assert eligible["message_id"] in listed and reserved["message_id"] not in listed
