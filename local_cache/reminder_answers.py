"""A unit's answers to reminders ("not ours", "patient moved", and why), kept until the server
has them: given offline, they are sent by the next sync pass and never lost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from local_cache.codec import PayloadCodec
from local_cache.crypto import payload_context
from local_cache.database import read_transaction, write_transaction
from local_cache.errors import PayloadRefused
from local_cache.owned import check_binding, owner_for
from local_cache.schema import reminder_answers as t
from local_cache.schema import utc_now


@dataclass(frozen=True)
class ReminderAnswer:
    reminder_id: str
    owner: str
    answer: str  # not_ours, patient_moved
    reason: str
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str | None


class ReminderAnswerRepository:
    def __init__(self, engine: Engine, codec: PayloadCodec, owner: str | None = None) -> None:
        check_binding(codec, owner)
        self._engine = engine
        self._codec = codec
        self._owner = owner

    def add(self, owner: str | None, reminder_id: str, answer: str, reason: str) -> ReminderAnswer:
        """Record the owner's answer (replacing the owner's earlier one for the same reminder;
        another user's answer to it stays as it is)."""
        owner = owner_for(self._owner, owner)
        values = {
            "owner": owner,
            "answer": answer,
            # The reason is free text and may name the patient: sealed like a message body
            # (the outbox key), so it is sent while the screen is locked.
            "reason_blob": self._codec.encode(
                reason, payload_context("reminder_answers.reason", owner, reminder_id)
            ),
            "created_at": utc_now(),
            "sent_at": None,
            "attempts": 0,
            "last_error": None,
        }
        upsert = sqlite_insert(t).values(reminder_id=reminder_id, **values)
        upsert = upsert.on_conflict_do_update(
            index_elements=[t.c.owner, t.c.reminder_id], set_=values
        )
        with write_transaction(self._engine) as conn:
            conn.execute(upsert)
            return self._get(conn, owner, reminder_id)

    def unsent(self, owner: str | None) -> list[ReminderAnswer]:
        """The owner's answers to send: not sent yet and not refused by the server (a refused
        one is sent again only when the user answers again), oldest first."""
        query = (
            select(t)
            .where(
                t.c.owner == owner_for(self._owner, owner),
                t.c.sent_at.is_(None),
                t.c.last_error.is_(None),
            )
            .order_by(t.c.created_at, t.c.reminder_id)
        )
        with read_transaction(self._engine) as conn:
            return self._readable(conn.execute(query))

    def refused(self, owner: str | None) -> list[ReminderAnswer]:
        """The owner's answers the server refused (last_error says why), newest first."""
        query = (
            select(t)
            .where(
                t.c.owner == owner_for(self._owner, owner),
                t.c.sent_at.is_(None),
                t.c.last_error.is_not(None),
            )
            .order_by(t.c.created_at.desc(), t.c.reminder_id)
        )
        with read_transaction(self._engine) as conn:
            return self._readable(conn.execute(query))

    def answered_ids(self, owner: str | None) -> set[str]:
        """Reminders the owner has answered on this computer (sent or waiting to be sent): the
        list hides them at once, not only after the server has the answer. A refused answer
        does not hide its reminder (the user may answer again)."""
        query = select(t.c.reminder_id).where(
            t.c.owner == owner_for(self._owner, owner),
            or_(t.c.sent_at.is_not(None), t.c.last_error.is_(None)),
        )
        with read_transaction(self._engine) as conn:
            return set(conn.execute(query).scalars())

    def mark_sent(self, owner: str | None, reminder_id: str) -> None:
        owner = owner_for(self._owner, owner)
        with write_transaction(self._engine) as conn:
            conn.execute(
                update(t)
                .where(t.c.owner == owner, t.c.reminder_id == reminder_id)
                .values(sent_at=utc_now())
            )

    def mark_failed(self, owner: str | None, reminder_id: str, error: str) -> None:
        """The server refused the owner's answer (kept, with why, for the user to see; not
        sent again until the user answers again)."""
        owner = owner_for(self._owner, owner)
        with write_transaction(self._engine) as conn:
            conn.execute(
                update(t)
                .where(t.c.owner == owner, t.c.reminder_id == reminder_id)
                .values(attempts=t.c.attempts + 1, last_error=error)
            )

    def _get(self, conn, owner: str, reminder_id: str) -> ReminderAnswer:  # type: ignore[no-untyped-def]
        query = select(t).where(t.c.owner == owner, t.c.reminder_id == reminder_id)
        return self._answer(conn.execute(query).one())

    def _readable(self, rows) -> list[ReminderAnswer]:  # type: ignore[no-untyped-def]
        """The answers of `rows`, leaving out any whose reason was changed on disk."""
        answers = []
        for row in rows:
            try:
                answers.append(self._answer(row))
            except PayloadRefused:
                continue
        return answers

    def _answer(self, row) -> ReminderAnswer:  # type: ignore[no-untyped-def]
        return ReminderAnswer(
            reminder_id=row.reminder_id,
            owner=row.owner,
            answer=row.answer,
            reason=self._codec.decode(
                row.reason_blob,
                payload_context("reminder_answers.reason", row.owner, row.reminder_id),
            ),
            created_at=row.created_at,
            sent_at=row.sent_at,
            attempts=row.attempts,
            last_error=row.last_error,
        )
