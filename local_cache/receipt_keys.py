"""The registry's receipt-signing public keys as fetched from its server, and where fetching
the unit's receipts (GET /receipts?since=) left off."""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from local_cache.database import read_transaction, write_transaction
from local_cache.schema import receipt_cursors, receipt_keys


class ReceiptKeyRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save_keys(self, server_url: str, keys: dict[str, str], fetched_at: datetime) -> None:
        """Remember `keys` ({key_id: base64 public key}) as published by `server_url`; keys
        seen before stay (a receipt signed with a retired key must keep verifying)."""
        if not keys:
            return
        rows = [
            {"key_id": k, "public_key": v, "server_url": server_url, "fetched_at": fetched_at}
            for k, v in keys.items()
        ]
        upsert = sqlite_insert(receipt_keys)
        upsert = upsert.on_conflict_do_update(
            index_elements=[receipt_keys.c.key_id],
            set_={
                "public_key": upsert.excluded.public_key,
                "fetched_at": upsert.excluded.fetched_at,
            },
        )
        with write_transaction(self._engine) as conn:
            conn.execute(upsert, rows)

    def keys(self) -> dict[str, str]:
        """{key_id: base64 public key} of every key fetched so far."""
        query = select(receipt_keys.c.key_id, receipt_keys.c.public_key)
        with read_transaction(self._engine) as conn:
            return {row.key_id: row.public_key for row in conn.execute(query)}

    def cursor(self, owner: str, server_url: str) -> str | None:
        query = select(receipt_cursors.c.cursor).where(
            receipt_cursors.c.owner == owner, receipt_cursors.c.server_url == server_url
        )
        with read_transaction(self._engine) as conn:
            return conn.execute(query).scalar_one_or_none()

    def set_cursor(self, owner: str, server_url: str, cursor: str, fetched_at: datetime) -> None:
        values = {"cursor": cursor, "fetched_at": fetched_at}
        upsert = sqlite_insert(receipt_cursors).values(owner=owner, server_url=server_url, **values)
        upsert = upsert.on_conflict_do_update(
            index_elements=[receipt_cursors.c.owner, receipt_cursors.c.server_url], set_=values
        )
        with write_transaction(self._engine) as conn:
            conn.execute(upsert)


def read_saved_keys(path: str | os.PathLike[str]) -> dict[str, str]:
    """{key_id: base64 public key} saved in the cache file at `path`, read without opening the
    cache: no folder or file is made, nothing is migrated or written (SQLite read-only mode).
    Empty when there is no such file or it has no keys table yet (an older cache). OSError /
    sqlite3.Error when the file exists but cannot be read."""
    path = Path(path)
    if not path.is_file():
        return {}
    uri = f"{path.resolve().as_uri()}?mode=ro"
    connection = sqlite3.connect(uri, uri=True, timeout=5)
    try:
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'receipt_keys'"
        ).fetchone()
        if found is None:
            return {}
        rows = connection.execute("SELECT key_id, public_key FROM receipt_keys").fetchall()
    finally:
        connection.close()
    return {str(key_id): str(public_key) for key_id, public_key in rows}
