"""Processes starting at the same moment: each publishes the receipt-signing key and, on a
fresh data folder, makes the key file. All must start, and all must sign with one key."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from registry_server.app import create_app
from registry_server.db import make_engine, make_session_factory, upgrade_database
from registry_server.models import ReceiptKey
from registry_server.settings import ServerSettings
from registry_server.signing import KEY_FILE_NAME, load_signing_key, publish_key

STARTING = 8


def _all_at_once(work: Callable[[int], Any]) -> list[Any]:
    """`work(i)` in STARTING threads released together; every result (or exception raised)."""
    barrier = threading.Barrier(STARTING)

    def start(i: int) -> Any:
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(STARTING) as pool:
        futures = [pool.submit(start, i) for i in range(STARTING)]
        return [f.result() for f in futures]  # re-raises the first failure


def test_processes_making_the_key_file_at_once_all_use_the_same_key(tmp_path: Path) -> None:
    keys = _all_at_once(lambda _: load_signing_key(None, tmp_path, demo=False))
    assert len({key.key_id for key in keys}) == 1
    on_disk = load_signing_key(None, tmp_path, demo=False)
    assert on_disk.key_id == keys[0].key_id
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE_NAME]  # no temporary files left


@pytest.mark.postgres
def test_publishing_one_key_from_many_processes_at_once(fresh_postgres_database_url: str) -> None:
    engine = make_engine(fresh_postgres_database_url)
    upgrade_database(engine)
    key = load_signing_key(None, Path("unused"), demo=True)
    factories = [make_session_factory(make_engine(fresh_postgres_database_url)) for _ in range(8)]
    try:
        _all_at_once(lambda i: publish_key(factories[i], key))
        with make_session_factory(engine)() as session:
            assert session.scalar(select(func.count()).select_from(ReceiptKey)) == 1
    finally:
        for factory in factories:
            factory.kw["bind"].dispose()
        engine.dispose()


@pytest.mark.postgres
def test_servers_starting_at_once_on_a_fresh_database_all_start(
    fresh_postgres_database_url: str, tmp_path: Path
) -> None:
    settings = ServerSettings(data_dir=tmp_path, database_url=fresh_postgres_database_url)
    apps = _all_at_once(lambda _: create_app(settings))
    try:
        assert len({app.state.signing_key.key_id for app in apps}) == 1
        with apps[0].state.session_factory() as session:
            listed = session.scalars(select(ReceiptKey.key_id)).all()
        assert listed == [apps[0].state.signing_key.key_id]
    finally:
        for app in apps:
            app.state.engine.dispose()
