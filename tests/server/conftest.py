"""Fixtures for the server tests: the real server over HTTPS, and PostgreSQL when present.

Other test packages can use `tests.support.live_server.LiveServer` directly, or import these
fixtures into their own conftest (`from tests.server.conftest import live_server`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.support.live_server import LiveServer

POSTGRES_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The server with demo data (users demo/demo and bergen/demo), SQLite in tmp_path."""
    with LiveServer(tmp_path / "server") as server:
        yield server


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=live_server.url, verify=live_server.ssl_context(), timeout=10
    ) as http:
        yield http


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """The demo server on SQLite, and again on PostgreSQL (the test run's database)."""
    url = request.getfixturevalue("postgres_database_url") if request.param != "sqlite" else ""
    with LiveServer(tmp_path / "server", database_url=url) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, dropped afterwards."""
    yield from _postgres_database()


@pytest.fixture
def fresh_postgres_database_url() -> Iterator[str]:
    """A PostgreSQL database of its own for one test (nothing made in it yet)."""
    yield from _postgres_database()


def _postgres_database() -> Iterator[str]:
    try:
        admin = psycopg.connect(POSTGRES_DSN, autocommit=True)
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL is not reachable on 127.0.0.1:5432 as user postgres ({exc})"
        # scripts/test.sh sets this in CI, where a skipped PostgreSQL test would hide a failure.
        if os.environ.get("REGISTRY_TESTS_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    name = f"registry_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
