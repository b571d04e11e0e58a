"""Caches written by an earlier program version are brought up to date with their data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from local_cache import MessageState, RetryLater, open_cache
from local_cache.database import make_engine, write_transaction
from local_cache.migrate import alembic_config, head_revision
from local_cache.schema import metadata
from tests.cache.builders import OWNER, body_for, receipt_for

FIRST = "0001_initial"


def _cache_at_revision(path: Path, revision: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(path)
    try:
        with write_transaction(engine) as connection:
            command.upgrade(alembic_config(connection), revision)
    finally:
        engine.dispose()


def _insert_message(raw: sqlite3.Connection, message_id: str, state: str, values: bytes) -> None:
    raw.execute(
        "INSERT INTO messages (id, owner, registry, form, form_version, state, values_blob, "
        "attempts, created_at, updated_at) VALUES (?, ?, 'breast', 'assessment', 1, ?, ?, 0, "
        "'2026-01-02 03:04:05.000000', '2026-01-02 03:04:05.000000')",
        (message_id, OWNER, state, values),
    )


def test_a_cache_from_the_first_version_is_upgraded_with_its_drafts(cache_path: Path) -> None:
    _cache_at_revision(cache_path, FIRST)
    with sqlite3.connect(cache_path) as raw:
        columns = {row[1] for row in raw.execute("PRAGMA table_info(messages)")}
        assert "migration_changes_blob" not in columns  # control: really the old schema
        _insert_message(raw, "draft-1", "draft", b'{"ki67_percent":18}')

    cache = open_cache(cache_path)
    try:
        record = cache.messages.get("draft-1")
        assert (record.state, record.values) == (MessageState.DRAFT, {"ki67_percent": 18})
        assert record.migration_changes == []
        # The new column is usable on the old row.
        removed = {"kind": "removed", "field": "ki67_percent", "old": 18, "new": None}
        moved = cache.messages.migrate_draft("draft-1", 2, {}, from_version=1, changes=[removed])
        assert moved.migration_changes == [removed]
        with cache.engine.connect() as conn:
            context = MigrationContext.configure(conn)
            assert context.get_current_revision() == head_revision() != FIRST
            assert compare_metadata(context, metadata) == []
    finally:
        cache.close()


def test_downgrade_to_the_first_version_keeps_messages_with_receipts(cache_path: Path) -> None:
    """Dropping the column must not copy `messages`, which receipts refer to."""
    cache = open_cache(cache_path)
    try:
        record = cache.messages.create_draft(OWNER, "breast", "assessment", 1, {"a": "1"})
        cache.messages.submit(record.id, body_for(record))
        cache.messages.claim_for_sending(OWNER)
        cache.messages.mark_receipted(record.id, receipt_for(record))
    finally:
        cache.close()

    engine = make_engine(cache_path)
    try:
        with write_transaction(engine) as connection:
            command.downgrade(alembic_config(connection), FIRST)
    finally:
        engine.dispose()

    with sqlite3.connect(cache_path) as raw:
        columns = {row[1] for row in raw.execute("PRAGMA table_info(messages)")}
        assert "migration_changes_blob" not in columns
        assert raw.execute("SELECT state FROM messages").fetchall() == [("receipted",)]
        assert raw.execute("SELECT count(*) FROM receipts").fetchone() == (1,)


SECOND = "0002_migration_changes"


def test_a_cache_from_the_second_version_gets_last_attempt_at_and_sends(
    cache_path: Path,
) -> None:
    _cache_at_revision(cache_path, SECOND)
    body = (
        b'{"message_id":"queued-1","registry":"breast","form":"assessment","version":1,'
        b'"values":{"a":"1"}}'
    )
    with sqlite3.connect(cache_path) as raw:
        columns = {row[1] for row in raw.execute("PRAGMA table_info(messages)")}
        assert "last_attempt_at" not in columns  # control: really the old schema
        _insert_message(raw, "queued-1", "queued", b'{"a":"1"}')
        raw.execute(
            "UPDATE messages SET body_blob = ?, idempotency_key = 'key-1', "
            "queued_at = '2026-01-02 03:04:05.000000' WHERE id = 'queued-1'",
            (body,),
        )

    cache = open_cache(cache_path)
    try:
        before = cache.messages.get("queued-1")
        assert (before.state, before.last_attempt_at) == (MessageState.QUEUED, None)
        [claimed] = cache.messages.claim_outgoing(OWNER)
        assert (claimed.id, claimed.idempotency_key) == ("queued-1", "key-1")
        cache.messages.record_outcomes([RetryLater("queued-1", "offline")])
        after = cache.messages.get("queued-1")
        assert after.last_attempt_at is not None and after.attempts == 1
        with cache.engine.connect() as conn:
            context = MigrationContext.configure(conn)
            assert context.get_current_revision() == head_revision() != SECOND
            assert compare_metadata(context, metadata) == []
    finally:
        cache.close()


def test_downgrade_to_the_second_version_keeps_messages_with_receipts(cache_path: Path) -> None:
    cache = open_cache(cache_path)
    try:
        record = cache.messages.create_draft(OWNER, "breast", "assessment", 1, {"a": "1"})
        cache.messages.submit(record.id, body_for(record))
        cache.messages.claim_for_sending(OWNER)
        cache.messages.mark_receipted(record.id, receipt_for(record))
    finally:
        cache.close()

    engine = make_engine(cache_path)
    try:
        with write_transaction(engine) as connection:
            command.downgrade(alembic_config(connection), SECOND)
    finally:
        engine.dispose()

    with sqlite3.connect(cache_path) as raw:
        columns = {row[1] for row in raw.execute("PRAGMA table_info(messages)")}
        assert "last_attempt_at" not in columns and "migration_changes_blob" in columns
        assert raw.execute("SELECT state FROM messages").fetchall() == [("receipted",)]
        assert raw.execute("SELECT count(*) FROM receipts").fetchone() == (1,)
