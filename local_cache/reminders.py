"""The last list of open reminders fetched from the server, per user, for offline viewing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from local_cache.codec import PayloadCodec
from local_cache.crypto import payload_context
from local_cache.database import read_transaction, write_transaction
from local_cache.errors import PayloadRefused
from local_cache.owned import check_binding, owner_for
from local_cache.schema import reminder_fetches, reminders


class ReminderRepository:
    def __init__(self, engine: Engine, codec: PayloadCodec, owner: str | None = None) -> None:
        check_binding(codec, owner)
        self._engine = engine
        self._codec = codec
        self._owner = owner

    def replace_all(self, owner: str | None, items: list[dict], fetched_at: datetime) -> None:
        """Replace the owner's reminders with a fresh server list, in one transaction."""
        owner = owner_for(self._owner, owner)
        # Each whole reminder goes through the codec (it names the patient); the plain
        # columns are copies for sorting and filtering only.
        rows = [
            {
                "owner": owner,
                "reminder_id": str(item["id"]),
                "registry": item.get("registry"),
                "form": item.get("form"),
                "due_date": item.get("due_date"),
                "payload_blob": self._codec.encode(
                    item, payload_context("reminders.payload", owner, str(item["id"]))
                ),
            }
            for item in items
        ]
        upsert = sqlite_insert(reminder_fetches).values(owner=owner, fetched_at=fetched_at)
        upsert = upsert.on_conflict_do_update(
            index_elements=[reminder_fetches.c.owner], set_={"fetched_at": fetched_at}
        )
        with write_transaction(self._engine) as conn:
            conn.execute(delete(reminders).where(reminders.c.owner == owner))
            if rows:
                conn.execute(insert(reminders), rows)
            conn.execute(upsert)

    def list(self, owner: str | None = None) -> tuple[list[dict], datetime | None]:
        """The owner's reminders (earliest due first) and when they were fetched (None: never)."""
        owner = owner_for(self._owner, owner)
        query = (
            select(reminders.c.reminder_id, reminders.c.payload_blob)
            .where(reminders.c.owner == owner)
            .order_by(reminders.c.due_date, reminders.c.row_id)
        )
        fetched = select(reminder_fetches.c.fetched_at).where(reminder_fetches.c.owner == owner)
        with read_transaction(self._engine) as conn:
            rows = conn.execute(query).all()
            fetched_at = conn.execute(fetched).scalar_one_or_none()
        items = []
        for row in rows:
            try:
                items.append(
                    self._codec.decode(
                        row.payload_blob,
                        payload_context("reminders.payload", owner, row.reminder_id),
                    )
                )
            except PayloadRefused:  # changed on disk: refused, never shown; fetched again
                continue
        return items, fetched_at
