"""The signed-in clinician's view of the cache: every repository bound to them and to their
encrypting codec (local_cache.crypto). Another user's rows are unknown here, and their
payloads would not decrypt under these keys anyway."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, delete, select, update

from local_cache.cache import Cache
from local_cache.codec import JsonPayloadCodec
from local_cache.crypto import EncryptingCodec, is_encrypted, payload_context
from local_cache.database import write_transaction
from local_cache.errors import PayloadRefused
from local_cache.message_records import MessageState
from local_cache.messages import MessageRepository
from local_cache.receipts import ReceiptRepository
from local_cache.reminder_answers import ReminderAnswerRepository
from local_cache.reminders import ReminderRepository
from local_cache.schema import messages as m
from local_cache.schema import reminder_answers as ra
from local_cache.schema import reminders as r

_PLAIN = JsonPayloadCodec()
# Message columns holding payloads, by the context name the codec routes on.
_MESSAGE_BLOBS = {
    "values_blob": "messages.values",
    "body_blob": "messages.body",
    "server_issues_blob": "messages.server_issues",
    "migration_changes_blob": "messages.changes",
}


class UserCache:
    def __init__(self, cache: Cache, owner: str, codec: EncryptingCodec) -> None:
        self.owner = owner
        self.codec = codec
        self.path = cache.path
        self._engine: Engine = cache.engine
        engine = cache.engine
        self.messages = MessageRepository(engine, codec, owner)
        self.receipts = ReceiptRepository(engine, codec, owner)
        self.reminders = ReminderRepository(engine, codec, owner)
        self.reminder_answers = ReminderAnswerRepository(engine, codec, owner)
        # Neither holds patient data; both take the owner per call.
        self.receipt_keys = cache.receipt_keys
        self.statistics = cache.statistics

    @property
    def engine(self) -> Engine:
        return self._engine

    def encrypt_plain_rows(self) -> int:
        """Encrypt this owner's payloads written before encryption at rest (plain JSON), in
        one transaction; returns how many rows changed. Needs the data key (unlocked)."""
        changed = 0
        with write_transaction(self._engine) as conn:
            for row in conn.execute(select(m).where(m.c.owner == self.owner)).all():
                updates: dict[str, Any] = {}
                for column, name in _MESSAGE_BLOBS.items():
                    blob = getattr(row, column)
                    if blob is not None and not is_encrypted(blob):
                        context = payload_context(name, self.owner, row.id)
                        updates[column] = self.codec.encode(_PLAIN.decode(blob), context)
                if updates:
                    values = _PLAIN.decode(row.values_blob) if "values_blob" in updates else None
                    if values is not None:
                        updates["patient_key"] = self.messages.patient_key_of(values)
                    conn.execute(update(m).where(m.c.id == row.id).values(**updates))
                    changed += 1
            for row in conn.execute(select(r).where(r.c.owner == self.owner)).all():
                if not is_encrypted(row.payload_blob):
                    context = payload_context("reminders.payload", self.owner, row.reminder_id)
                    blob = self.codec.encode(_PLAIN.decode(row.payload_blob), context)
                    conn.execute(
                        update(r).where(r.c.row_id == row.row_id).values(payload_blob=blob)
                    )
                    changed += 1
            for row in conn.execute(select(ra).where(ra.c.owner == self.owner)).all():
                if not is_encrypted(row.reason_blob):
                    context = payload_context(
                        "reminder_answers.reason", self.owner, row.reminder_id
                    )
                    blob = self.codec.encode(_PLAIN.decode(row.reason_blob), context)
                    conn.execute(
                        update(ra)
                        .where(ra.c.owner == self.owner, ra.c.reminder_id == row.reminder_id)
                        .values(reason_blob=blob)
                    )
                    changed += 1
        if changed:
            # The plain pages must not linger in the WAL or in free pages of the file.
            raw = self._engine.raw_connection()  # outside a transaction, as VACUUM must be
            try:
                raw.driver_connection.execute("VACUUM")
                raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
        return changed

    def start_over_without_data_key(self) -> int:
        """A forgotten password: the old data key is gone. The owner's drafts (and what moving
        them changed) are deleted, the fetched reminders dropped (fetched again); a submitted
        message keeps its body (outbox key) and gets its values back from it under the new
        data key. Returns how many drafts were lost."""
        if not self.codec.unlocked:
            raise ValueError("New keys must be unlocked.")
        with write_transaction(self._engine) as conn:
            lost = conn.execute(
                delete(m).where(m.c.owner == self.owner, m.c.state == MessageState.DRAFT.value)
            ).rowcount
            conn.execute(delete(r).where(r.c.owner == self.owner))
            rows = conn.execute(select(m.c.id, m.c.body_blob).where(m.c.owner == self.owner)).all()
            for row in rows:
                try:
                    body = (
                        self.codec.decode(
                            row.body_blob, payload_context("messages.body", self.owner, row.id)
                        )
                        if row.body_blob is not None
                        else {}
                    )
                except PayloadRefused:
                    continue  # changed on disk: refused when it is claimed, never sent
                values = dict(body.get("values") or {})
                conn.execute(
                    update(m)
                    .where(m.c.id == row.id)
                    .values(
                        values_blob=self.codec.encode(
                            values, payload_context("messages.values", self.owner, row.id)
                        ),
                        patient_key=self.messages.patient_key_of(values),
                        migration_changes_blob=None,
                    )
                )
        return lost

    def delete_everything(self) -> int:
        """A forgotten password without the registry's escrow copy: nothing of the owner's
        opens again, so all of it goes (messages, reminders, answers). Returns how many
        messages were deleted."""
        with write_transaction(self._engine) as conn:
            lost = conn.execute(delete(m).where(m.c.owner == self.owner)).rowcount
            conn.execute(delete(r).where(r.c.owner == self.owner))
            conn.execute(delete(ra).where(ra.c.owner == self.owner))
        return lost
