"""The last statistics the registry served for a user (GET /statistics), for offline viewing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from local_cache.database import read_transaction, write_transaction
from local_cache.schema import statistics_cache as t


@dataclass(frozen=True)
class CachedStatistics:
    payload: dict[str, Any]  # the server's answer as it came
    fetched_at: datetime
    as_of: str | None  # the day the registry computed them for (YYYY-MM-DD)


class StatisticsRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save(self, owner: str, payload: dict[str, Any], fetched_at: datetime) -> None:
        """Replace the owner's cached statistics with a fresh answer."""
        as_of = payload.get("as_of")
        values = {
            "fetched_at": fetched_at,
            "as_of": as_of if isinstance(as_of, str) else None,
            "payload_json": json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        }
        upsert = sqlite_insert(t).values(owner=owner, **values)
        upsert = upsert.on_conflict_do_update(index_elements=[t.c.owner], set_=values)
        with write_transaction(self._engine) as conn:
            conn.execute(upsert)

    def load(self, owner: str) -> CachedStatistics | None:
        """The owner's cached statistics, or None when none were ever fetched."""
        with read_transaction(self._engine) as conn:
            row = conn.execute(select(t).where(t.c.owner == owner)).one_or_none()
        if row is None:
            return None
        return CachedStatistics(json.loads(row.payload_json), row.fetched_at, row.as_of)
