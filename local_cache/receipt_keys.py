"""The registry's receipt-signing public keys as fetched from its server (each pinned to the
server it came from), and where fetching the unit's receipts (GET /receipts?since=) left off."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from local_cache.database import read_transaction, write_transaction
from local_cache.schema import receipt_cursors, receipt_keys


@dataclass(frozen=True)
class SavedKey:
    key_id: str
    public_key: str  # base64 of the raw 32 bytes
    server_url: str  # the server that published it


class ReceiptKeyRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save_keys(self, server_url: str, keys: dict[str, str], fetched_at: datetime) -> None:
        """Remember `keys` ({key_id: base64 public key}) as published by `server_url`; keys
        seen before stay as they were (a receipt signed with a retired key must keep
        verifying; the caller checks each key's id before saving it)."""
        if not keys:
            return
        rows = [
            {"key_id": k, "public_key": v, "server_url": server_url, "fetched_at": fetched_at}
            for k, v in keys.items()
        ]
        upsert = sqlite_insert(receipt_keys)
        upsert = upsert.on_conflict_do_update(
            index_elements=[receipt_keys.c.key_id, receipt_keys.c.server_url],
            set_={"fetched_at": upsert.excluded.fetched_at},
        )
        with write_transaction(self._engine) as conn:
            conn.execute(upsert, rows)

    def keys(self, server_url: str) -> dict[str, str]:
        """{key_id: base64 public key} of the keys fetched from `server_url`."""
        query = select(receipt_keys.c.key_id, receipt_keys.c.public_key).where(
            receipt_keys.c.server_url == server_url
        )
        with read_transaction(self._engine) as conn:
            return {row.key_id: row.public_key for row in conn.execute(query)}

    def saved(self) -> list[SavedKey]:
        """Every key fetched, from any server, with the server it came from."""
        query = select(receipt_keys).order_by(receipt_keys.c.key_id, receipt_keys.c.server_url)
        with read_transaction(self._engine) as conn:
            return [SavedKey(r.key_id, r.public_key, r.server_url) for r in conn.execute(query)]

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


def read_saved_keys(path: str | os.PathLike[str]) -> list[SavedKey]:
    """The keys saved in the cache file at `path` with the server each came from, read
    without opening the cache: no folder or file is made, nothing is migrated or written
    (SQLite read-only mode). Empty when there is no such file or it has no keys table yet (an
    older cache). OSError / sqlite3.Error when the file exists but cannot be read."""
    path = Path(path)
    if not path.is_file():
        return []
    uri = f"{path.resolve().as_uri()}?mode=ro"
    connection = sqlite3.connect(uri, uri=True, timeout=5)
    try:
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'receipt_keys'"
        ).fetchone()
        if found is None:
            return []
        rows = connection.execute(
            "SELECT key_id, public_key, server_url FROM receipt_keys ORDER BY key_id, server_url"
        ).fetchall()
    finally:
        connection.close()
    return [SavedKey(str(k), str(v), str(s)) for k, v, s in rows]
