"""The SQLite file itself: durability PRAGMAs, Alembic, reopening, threads."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from local_cache import Cache, CacheError, CacheVersionError, MessageState, open_cache
from local_cache.migrate import head_revision
from local_cache.schema import metadata
from tests.cache.builders import OWNER, body_for, draft


def test_every_connection_has_the_durability_pragmas(cache: Cache) -> None:
    # Several pooled connections at once, so the listener is shown to run for each of them.
    with cache.engine.connect() as first, cache.engine.connect() as second:
        for conn in (first, second):
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    # Control: a connection opened without the listener has SQLite's defaults for these two.
    with sqlite3.connect(cache.path, timeout=0) as raw:
        assert raw.execute("PRAGMA foreign_keys").fetchone() == (0,)
        assert raw.execute("PRAGMA busy_timeout").fetchone() == (0,)


def test_schema_comes_from_alembic(cache: Cache, cache_path: Path) -> None:
    with sqlite3.connect(cache_path) as raw:
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        version = raw.execute("SELECT version_num FROM alembic_version").fetchall()
    assert {"alembic_version", "messages", "receipts", "reminders", "local_users"} <= tables
    assert version == [(head_revision(),)]


def test_idempotency_key_column_is_unique(cache: Cache, cache_path: Path) -> None:
    a, b = draft(cache), draft(cache)
    key = cache.messages.submit(a.id, body_for(a)).idempotency_key
    with sqlite3.connect(cache_path) as raw, pytest.raises(sqlite3.IntegrityError):
        raw.execute("UPDATE messages SET idempotency_key = ? WHERE id = ?", (key, b.id))


def test_closing_and_reopening_keeps_every_value(cache_path: Path, identity_number: str) -> None:
    values = {
        "patient_id": identity_number,
        "diagnosis_date": "2024-11-02",
        "tumour_size_mm": 14,
        "weight": 71.5,
        "sites": ["1", "3"],
        "note": "Ærlig talt – «prøve» ✓",
        "empty": None,
    }
    cache = open_cache(cache_path)
    record = cache.messages.create_draft(OWNER, "breast", "assessment", 1)
    cache.messages.save_values(record.id, values)
    cache.close()

    reopened = open_cache(cache_path)
    try:
        again = reopened.messages.get(record.id)
    finally:
        reopened.close()
    assert again.values == values
    assert again.state is MessageState.DRAFT
    assert again.created_at == record.created_at


def test_reopening_does_not_migrate_again(cache_path: Path) -> None:
    open_cache(cache_path).close()
    open_cache(cache_path).close()
    with sqlite3.connect(cache_path) as raw:
        assert raw.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)


def test_a_cache_from_a_newer_program_is_refused_clearly(cache_path: Path) -> None:
    open_cache(cache_path).close()
    with sqlite3.connect(cache_path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")

    with pytest.raises(CacheVersionError, match="newer version"):
        open_cache(cache_path)


def test_the_folder_is_created_private(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "deeper" / "cache.sqlite3"
    open_cache(path).close()
    assert path.is_file()
    assert path.parent.stat().st_mode & 0o077 == 0


def test_threads_share_one_cache(cache: Cache) -> None:
    records = [draft(cache) for _ in range(8)]
    errors: list[BaseException] = []

    def edit(message_id: str) -> None:
        try:
            for i in range(25):
                cache.messages.save_values(message_id, {"i": i})
        except BaseException as error:  # reported to the main thread below
            errors.append(error)

    threads = [threading.Thread(target=edit, args=(r.id,)) for r in records]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert all(cache.messages.get(r.id).values == {"i": 24} for r in records)


def test_two_claimers_never_claim_the_same_message(cache_path: Path) -> None:
    # Two program instances on one file (two Cache objects): each message is claimed once.
    first, second = open_cache(cache_path), open_cache(cache_path)
    try:
        ids = {
            first.messages.submit(r.id, body_for(r)).id for r in [draft(first) for _ in range(40)]
        }
        claimed: list[list[str]] = [[], []]
        errors: list[BaseException] = []

        def claim(cache: Cache, into: list[str]) -> None:
            try:
                while batch := cache.messages.claim_for_sending(OWNER, limit=3):
                    into.extend(r.id for r in batch)
            except BaseException as error:  # e.g. "database is locked": reported below
                errors.append(error)

        threads = [
            threading.Thread(target=claim, args=(c, into))
            for c, into in zip((first, second), claimed, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        first.close()
        second.close()

    assert errors == []
    assert sorted(claimed[0] + claimed[1]) == sorted(ids)


def test_reads_run_in_a_real_sqlite_transaction(cache: Cache) -> None:
    # sqlite3 alone would not BEGIN before a SELECT; the begin listener must do it, so that a
    # repository's reads see one snapshot.
    with cache.engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM messages"))
        assert conn.connection.dbapi_connection.in_transaction is True
        conn.rollback()
        assert conn.connection.dbapi_connection.in_transaction is False


def test_a_file_that_is_not_a_cache_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    path.write_bytes(b"this is not an SQLite database, it is some other file" * 100)

    with pytest.raises(CacheError, match="cannot be opened"):
        open_cache(path)


def test_the_migrations_create_exactly_the_declared_schema(cache: Cache) -> None:
    # schema.py (what the repositories use) and the migrations must not drift apart.
    with cache.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert compare_metadata(context, metadata) == []
