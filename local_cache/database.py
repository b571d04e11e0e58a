"""The SQLite engine: durable settings on every connection and explicit transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

BUSY_TIMEOUT_MS = 10_000

# Execution option read by the "begin" listener: which BEGIN statement starts a transaction.
_BEGIN_OPTION = "local_cache_begin"


def make_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        # The autosaver, the sync engine and the UI each call from their own thread; every
        # repository call takes its own connection from the pool for one short transaction.
        connect_args={"check_same_thread": False},
    )
    event.listen(engine, "connect", _configure_connection)
    event.listen(engine, "begin", _begin)
    return engine


def _configure_connection(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Take transaction control away from sqlite3 (it would not BEGIN before SELECT or DDL);
    # _begin emits BEGIN itself so every repository call is one real transaction.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before it returns, so an acknowledged save survives power loss.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _begin(connection: Connection) -> None:
    connection.exec_driver_sql(connection.get_execution_options().get(_BEGIN_OPTION, "BEGIN"))


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that takes the write lock at once.

    A deferred transaction that reads and then writes can fail with SQLITE_BUSY when another
    writer got in between (no busy wait applies); BEGIN IMMEDIATE waits for the lock up front,
    so read-check-update sequences such as state transitions are safe across threads and
    processes.
    """
    with engine.connect() as connection:
        connection = connection.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE"})
        with connection.begin():
            yield connection


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A consistent snapshot for reads; does not block writers (WAL)."""
    with engine.connect() as connection, connection.begin():
        yield connection
