"""Two `registry-server` processes on one PostgreSQL database, as behind a load balancer.

Both start at the same moment on a fresh database (one migrates it, the other waits for that;
the demo data is made once), then clients send the same keys to both at once.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, String, Table, func, select
from sqlalchemy.orm import Session, sessionmaker

from registry_server.cli import main
from registry_server.db import alembic_config, make_engine, make_session_factory
from registry_server.demo import DEMO_ACCOUNTS
from registry_server.models import JobRun, Message, Unit, User
from tests.server.conftest import POSTGRES_DSN
from tests.server.helpers import (
    batch_item,
    rows_per_key,
    sign_in,
    stored_receipt,
    submit,
    submit_batch,
    valid_body,
)

pytestmark = pytest.mark.postgres

CLIENTS = 20
START_TIMEOUT_S = 30


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def fresh_database_url(postgres_database_url: str) -> Iterator[str]:
    """A database of its own, empty: the processes must make its schema themselves.

    Asks for `postgres_database_url` only for its rule: skip without PostgreSQL, fail in CI."""
    del postgres_database_url
    name = f"registry_test_mp_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(data_dir: Path, database_url: str, log_path: Path) -> ServerProcess:
    port = _free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "registry_server",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
                "--database-url",
                database_url,
                "--demo",
                "--log-level",
                "warning",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return ServerProcess(process, port, log_path)


def _wait_until_serving(server: ServerProcess, context: ssl.SSLContext) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        assert server.process.poll() is None, f"The server process ended:\n{server.log()}"
        try:
            with httpx.Client(base_url=server.url, verify=context, timeout=2) as client:
                client.get("/api/v1/health").raise_for_status()
            return
        except (OSError, httpx.TransportError):
            assert time.monotonic() < deadline, f"The server did not start:\n{server.log()}"
            time.sleep(0.1)


def _stop(server: ServerProcess) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)


@pytest.fixture
def two_servers(
    tmp_path: Path, fresh_database_url: str
) -> Iterator[tuple[list[ServerProcess], ssl.SSLContext]]:
    """Two processes started together on one fresh database, always stopped afterwards."""
    data_dir = tmp_path / "data"
    # The development certificate is made once, before either starts (as an operator runs
    # `registry-server --print-ca` first): both serve it, so clients trust one CA.
    assert main(["--print-ca", "--data-dir", str(data_dir)]) == 0
    context = ssl.create_default_context(cafile=str(data_dir / "tls" / "dev-ca.pem"))
    servers: list[ServerProcess] = []
    try:
        for index in range(2):
            servers.append(_start(data_dir, fresh_database_url, tmp_path / f"server{index}.log"))
        for server in servers:
            _wait_until_serving(server, context)
        yield servers, context
    finally:
        for server in servers:
            _stop(server)


def _all_at_once(
    servers: list[ServerProcess],
    context: ssl.SSLContext,
    send: Callable[[httpx.Client, int], httpx.Response],
) -> list[httpx.Response]:
    """`send(client, i)` for i in 0..19, alternating between the servers, released together."""
    barrier = threading.Barrier(CLIENTS, timeout=30)

    def one(index: int) -> httpx.Response:
        server = servers[index % len(servers)]
        with httpx.Client(base_url=server.url, verify=context, timeout=60) as client:
            client.get("/api/v1/health").raise_for_status()
            barrier.wait()
            return send(client, index)

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return list(pool.map(one, range(CLIENTS)))


def test_two_processes_share_one_database_and_store_each_key_once(
    two_servers: tuple[list[ServerProcess], ssl.SSLContext], fresh_database_url: str
) -> None:
    servers, context = two_servers
    engine = make_engine(fresh_database_url)
    factory = make_session_factory(engine)
    try:
        _assert_migrated_and_seeded_once(factory)
        tokens = []
        for server in servers:
            with httpx.Client(base_url=server.url, verify=context) as client:
                tokens.append(sign_in(client))

        # One message, twenty times, to both processes at once.
        body, key = valid_body(seed=1), str(uuid.uuid4())
        responses = _all_at_once(
            servers, context, lambda client, i: submit(client, tokens[i % 2], body, key)
        )
        assert Counter(r.status_code for r in responses) == {201: 1, 200: CLIENTS - 1}, [
            r.text for r in responses
        ]
        assert rows_per_key(factory, [key]) == {key: 1}
        assert all(r.json() == stored_receipt(factory, key) for r in responses)

        # Batches sharing two keys (in either order), each with a key of its own.
        shared = [(str(uuid.uuid4()), valid_body(seed=2 + i)) for i in range(2)]
        own = [(str(uuid.uuid4()), valid_body(seed=10 + i)) for i in range(CLIENTS)]

        def items(i: int) -> list[dict]:
            batch = [batch_item(b, k) for k, b in [*shared, own[i]]]
            return batch if i % 4 < 2 else batch[::-1]

        responses = _all_at_once(
            servers, context, lambda client, i: submit_batch(client, tokens[i % 2], items(i))
        )
        assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
        results = [result for r in responses for result in r.json()["results"]]
        keys = [k for k, _ in shared + own]
        assert set(rows_per_key(factory, keys).values()) == {1}
        for key in keys:
            mine = [r for r in results if r["idempotency_key"] == key]
            assert Counter(r["status"] for r in mine)[201] == 1
            assert {r["status"] for r in mine} <= {200, 201}
            assert all(r["receipt"] == stored_receipt(factory, key) for r in mine)
    finally:
        engine.dispose()
    for server in servers:
        assert server.process.poll() is None, server.log()  # neither fell over


def _assert_migrated_and_seeded_once(factory: sessionmaker[Session]) -> None:
    """One schema at the newest revision, and the demo data once (not once per process)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with factory() as session:
        versions = session.execute(select(func.count()).select_from(_alembic_version())).scalar()
        current = session.execute(select(_alembic_version().c.version_num)).scalar()
        units = session.scalar(select(func.count()).select_from(Unit))
        users = session.scalars(select(User.username)).all()
        messages = session.scalar(select(func.count()).select_from(Message))
        # --demo makes the national demo year once, marked by a job_runs row.
        made = session.scalars(select(JobRun.summary).where(JobRun.job == "demo_national")).all()
    assert (versions, current) == (1, head)
    assert len(made) == 1
    assert (units, messages) == tuple(json.loads(made[0])[k] for k in ("units", "messages"))
    assert sorted(users) == sorted(a.username for a in DEMO_ACCOUNTS)


def _alembic_version() -> Table:
    return Table("alembic_version", MetaData(), Column("version_num", String(32)))
