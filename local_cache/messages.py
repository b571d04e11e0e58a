"""Drafts and the outbox: one row per message, moved through its states in single transactions.

draft --submit--> queued --claim--> sending --Receipt--> receipted
  ^                ^  ^                |--RetryLater--> queued (key kept, attempts + 1)
  |                |  +--release_claims (cancel), reset_interrupted (start-up)--+
  +--ReturnToDraft-|-------------------+--Quarantine--> rejected (key and body kept)
  |                +-------retry_rejected (same key and body)-------------------+
  +------------------------return_rejected_to_draft (key and body cleared)-----+

The sync engine settles a whole batch of answers with one `record_outcomes` call (one
transaction); the per-message `mark_*` methods are the same code path for one message.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, func, insert, select, update

from local_cache.codec import PayloadCodec
from local_cache.crypto import payload_context
from local_cache.database import read_transaction, write_transaction
from local_cache.errors import InvalidTransition, NotOwner, PayloadRefused
from local_cache.message_records import (
    MessageRecord,
    MessageState,
    Outcome,
    OutgoingMessage,
    Quarantine,
    Receipt,
    RetryLater,
    ReturnToDraft,
)
from local_cache.outbox import OutboxTransitions
from local_cache.owned import check_binding, owner_for
from local_cache.schema import messages as t
from local_cache.schema import utc_now

__all__ = [
    "MessageRecord",
    "MessageRepository",
    "MessageState",
    "Outcome",
    "OutgoingMessage",
    "Quarantine",
    "Receipt",
    "RetryLater",
    "ReturnToDraft",
]

log = logging.getLogger(__name__)

_UNSENT = (MessageState.QUEUED, MessageState.SENDING)


def _without_spaces(value: object) -> str:
    return "".join(value.split()) if isinstance(value, str) else ""


class MessageRepository(OutboxTransitions):
    """Drafts and reading here; the outbox transitions in local_cache.outbox.

    Bound to an `owner` (local_cache.user_cache.UserCache, the signed-in clinician's), every
    call checks it: another user's message is unknown (NotOwner, a KeyError), and an owner
    argument that is not the bound one is refused. Unbound (tools, tests, start-up) it serves
    every owner with a plain codec; an encrypting codec is only ever bound."""

    def __init__(self, engine: Engine, codec: PayloadCodec, owner: str | None = None) -> None:
        check_binding(codec, owner)
        self._engine = engine
        self._codec = codec
        self._owner = owner

    @property
    def owner(self) -> str | None:
        return self._owner

    # --- drafts -------------------------------------------------------------------------------

    def create_draft(
        self,
        owner: str,
        registry: str,
        form: str,
        form_version: int,
        values: dict | None = None,
        *,
        reminder_id: str | None = None,
    ) -> MessageRecord:
        owner = self._owner_for(owner)
        now = utc_now()
        message_id = str(uuid.uuid4())
        values = dict(values or {})
        with write_transaction(self._engine) as conn:
            conn.execute(
                insert(t).values(
                    id=message_id,
                    owner=owner,
                    registry=registry,
                    form=form,
                    form_version=form_version,
                    state=MessageState.DRAFT.value,
                    values_blob=self._codec.encode(
                        values, payload_context("messages.values", owner, message_id)
                    ),
                    patient_key=self.patient_key_of(values),
                    body_blob=None,
                    idempotency_key=None,
                    server_issues_blob=None,
                    last_error=None,
                    attempts=0,
                    created_at=now,
                    updated_at=now,
                    queued_at=None,
                    receipt_id=None,
                    reminder_id=reminder_id,
                )
            )
            return self._get(conn, message_id)

    def save_values(self, message_id: str, values: dict) -> None:
        # Encode first: a bad value never opens a transaction.
        blob = self._codec.encode(values, self._context("messages.values", message_id))
        # One UPDATE on every keystroke's save (the state and owner checks in its WHERE); only
        # when it changes nothing is the row read, to say why.
        statement = (
            update(t)
            .where(t.c.id == message_id, t.c.state == MessageState.DRAFT.value, *self._owned())
            .values(values_blob=blob, patient_key=self.patient_key_of(values), updated_at=utc_now())
        )
        with write_transaction(self._engine) as conn:
            if conn.execute(statement).rowcount == 0:
                self._require_state(conn, message_id, {MessageState.DRAFT}, "edited")

    def migrate_draft(
        self,
        message_id: str,
        form_version: int,
        values: dict,
        *,
        from_version: int | None = None,
        changes: list[dict] | None = None,
    ) -> MessageRecord:
        """A draft moved to another form version: version, values and what the move changed
        are written in one transaction.

        `changes` are added after those of earlier moves not yet acknowledged (see
        clear_migration_changes): an answer a move removed lives on only there, so it is never
        overwritten. `from_version`, when given, must still be the draft's version, so two
        windows opening the same draft cannot migrate it twice.
        """
        # Encode first: a bad value never opens a transaction.
        blob = self._codec.encode(values, self._context("messages.values", message_id))
        new_changes = [dict(c) for c in changes or []]
        action = "moved to a new form version"
        with write_transaction(self._engine) as conn:
            self._require_state(conn, message_id, {MessageState.DRAFT}, action)
            row = conn.execute(
                select(t.c.form_version, t.c.migration_changes_blob).where(t.c.id == message_id)
            ).one()
            if from_version is not None and row.form_version != from_version:
                raise InvalidTransition(message_id, f"on form version {row.form_version}", action)
            kept = self._changes(row.migration_changes_blob, message_id)
            return self._transition(
                conn,
                message_id,
                {MessageState.DRAFT},
                action,
                form_version=int(form_version),
                values_blob=blob,
                patient_key=self.patient_key_of(values),
                migration_changes_blob=self._changes_blob(kept + new_changes, message_id),
            )

    def clear_migration_changes(self, message_id: str) -> None:
        """The user has checked what moves to newer form versions changed: forget it.

        Any state (a sent message has none left); the message itself is not edited, so
        `updated_at` stays as it was. KeyError for an unknown message."""
        with write_transaction(self._engine) as conn:
            result = conn.execute(
                update(t)
                .where(t.c.id == message_id, *self._owned())
                .values(migration_changes_blob=None)
            )
            if result.rowcount == 0:
                raise KeyError(message_id)

    def delete_draft(self, message_id: str) -> None:
        with write_transaction(self._engine) as conn:
            self._require_state(conn, message_id, {MessageState.DRAFT}, "deleted")
            conn.execute(delete(t).where(t.c.id == message_id))

    # --- reading ------------------------------------------------------------------------------

    def get(self, message_id: str) -> MessageRecord:
        with read_transaction(self._engine) as conn:
            return self._get(conn, message_id)

    def list(
        self,
        owner: str,
        states: Iterable[MessageState | str] | None = None,
        *,
        with_body: bool = True,
    ) -> list[MessageRecord]:
        """The owner's messages in the given states (all when None), newest updated first.

        Without ``with_body`` each record's ``body`` is None: lists that only show messages
        (the outbox, reloaded during a sync) skip reading and decoding the frozen bodies."""
        query = select(t).where(t.c.owner == self._owner_for(owner))
        if states is not None:
            query = query.where(t.c.state.in_([MessageState(s).value for s in states]))
        query = query.order_by(t.c.updated_at.desc(), t.c.created_at.desc(), t.c.id)
        with read_transaction(self._engine) as conn:
            return self._readable(conn.execute(query), with_body=with_body)

    def find_by_patient(
        self,
        owner: str,
        registry: str,
        form: str,
        patient_id: str,
        states: Iterable[MessageState | str] | None = None,
    ) -> list[MessageRecord]:
        """The owner's messages of one form whose `patient_id` answer is `patient_id` (spaces
        ignored), newest updated first. Found by the keyed hash of the number stored beside
        the encrypted values (`patient_key`), so only the matching rows are decrypted."""
        wanted = _without_spaces(patient_id)
        if not wanted:
            return []
        query = select(t).where(
            t.c.owner == self._owner_for(owner),
            t.c.registry == registry,
            t.c.form == form,
            t.c.patient_key == self._codec.patient_key(wanted),
        )
        if states is not None:
            query = query.where(t.c.state.in_([MessageState(s).value for s in states]))
        query = query.order_by(t.c.updated_at.desc(), t.c.created_at.desc(), t.c.id)
        with read_transaction(self._engine) as conn:
            records = self._readable(conn.execute(query))
        # The hash narrows; the decrypted answer decides (a hash of another user's key never
        # matches, and a changed row is refused when decrypted).
        return [r for r in records if _without_spaces(r.values.get("patient_id")) == wanted]

    def count_unsent(self, owner: str) -> int:
        query = (
            select(func.count())
            .select_from(t)
            .where(t.c.owner == self._owner_for(owner), t.c.state.in_([s.value for s in _UNSENT]))
        )
        with read_transaction(self._engine) as conn:
            return int(conn.execute(query).scalar_one())

    # --- helpers ------------------------------------------------------------------------------

    def _transition(
        self,
        conn: Connection,
        message_id: str,
        allowed: set[MessageState],
        action: str,
        **changes: Any,
    ) -> MessageRecord:
        self._require_state(conn, message_id, allowed, action)
        changes.setdefault("updated_at", utc_now())
        conn.execute(update(t).where(t.c.id == message_id).values(**changes))
        return self._get(conn, message_id)

    def _require_state(
        self, conn: Connection, message_id: str, allowed: set[MessageState], action: str
    ) -> None:
        row = conn.execute(select(t.c.state, t.c.owner).where(t.c.id == message_id)).one_or_none()
        if row is None:
            raise KeyError(message_id)
        if self._owner is not None and row.owner != self._owner:
            raise NotOwner(message_id)
        state = row.state
        if MessageState(state) not in allowed:
            raise InvalidTransition(message_id, state, action)

    def _get(self, conn: Connection, message_id: str) -> MessageRecord:
        row = conn.execute(select(t).where(t.c.id == message_id, *self._owned())).one_or_none()
        if row is None:
            raise KeyError(message_id)
        return self._record(row)

    def _owner_for(self, owner: str | None) -> str:
        return owner_for(self._owner, owner)

    def _readable(self, rows: Iterable[Row[Any]], *, with_body: bool = True) -> list[MessageRecord]:
        """The records of `rows`, leaving out (and logging) any whose payload was changed on
        disk: refused, never shown, and one bad row does not take the list down with it."""
        records = []
        for row in rows:
            try:
                records.append(self._record(row, with_body=with_body))
            except PayloadRefused:
                log.warning("Message %s left out: its stored payload was refused", row.id)
        return records

    def _owned(self) -> tuple[Any, ...]:
        return () if self._owner is None else (t.c.owner == self._owner,)

    def _context(self, column: str, message_id: str, owner: str | None = None) -> str:
        return payload_context(column, owner or self._owner or "", message_id)

    def patient_key_of(self, values: dict) -> str | None:
        """The keyed hash of the answers' patient number (None without one)."""
        number = _without_spaces(values.get("patient_id"))
        return self._codec.patient_key(number) if number else None

    def _changes(self, blob: bytes | None, message_id: str, owner: str | None = None) -> list[dict]:
        if blob is None:
            return []
        return list(self._codec.decode(blob, self._context("messages.changes", message_id, owner)))

    def _changes_blob(self, changes: list[dict], message_id: str) -> bytes | None:
        if not changes:
            return None
        return self._codec.encode(changes, self._context("messages.changes", message_id))

    def _record(self, row: Row[Any], *, with_body: bool = True) -> MessageRecord:
        def decode(blob: bytes, column: str) -> Any:
            return self._codec.decode(blob, payload_context(column, row.owner, row.id))

        return MessageRecord(
            id=row.id,
            owner=row.owner,
            registry=row.registry,
            form=row.form,
            form_version=row.form_version,
            state=MessageState(row.state),
            values=decode(row.values_blob, "messages.values"),
            body=(
                None
                if row.body_blob is None or not with_body
                else decode(row.body_blob, "messages.body")
            ),
            idempotency_key=row.idempotency_key,
            server_issues=(
                []
                if row.server_issues_blob is None
                else decode(row.server_issues_blob, "messages.server_issues")
            ),
            last_error=row.last_error,
            attempts=row.attempts,
            created_at=row.created_at,
            updated_at=row.updated_at,
            queued_at=row.queued_at,
            receipt_id=row.receipt_id,
            migration_changes=self._changes(row.migration_changes_blob, row.id, row.owner),
            last_attempt_at=row.last_attempt_at,
            reminder_id=row.reminder_id,
        )
