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

import enum
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, bindparam, delete, func, insert, select, update

from local_cache.codec import PayloadCodec
from local_cache.database import read_transaction, write_transaction
from local_cache.errors import InvalidTransition
from local_cache.receipts import insert_receipts, receipt_row
from local_cache.schema import messages as t
from local_cache.schema import utc_now


class MessageState(enum.StrEnum):
    DRAFT = "draft"
    QUEUED = "queued"
    SENDING = "sending"
    RECEIPTED = "receipted"
    REJECTED = "rejected"


@dataclass(frozen=True)
class MessageRecord:
    id: str
    owner: str
    registry: str
    form: str
    form_version: int
    state: MessageState
    values: dict
    body: dict | None  # frozen at submit: exactly what is sent
    idempotency_key: str | None
    server_issues: list[dict]
    last_error: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    queued_at: datetime | None
    receipt_id: str | None
    # What moves to newer form versions changed, oldest first, until the user has checked it
    # (see MessageRepository.migrate_draft); plain dicts: the cache knows nothing of forms.
    migration_changes: list[dict] = field(default_factory=list)
    last_attempt_at: datetime | None = None  # when the last send attempt was settled


# --- what a send attempt came to, per message (MessageRepository.record_outcomes) --------------


@dataclass(frozen=True)
class Receipt:
    """The server has the message: sending -> receipted, the receipt stored with it."""

    message_id: str
    receipt: dict


@dataclass(frozen=True)
class ReturnToDraft:
    """The author must change something (422, or an item's 400/413): sending -> draft."""

    message_id: str
    issues: list[dict]
    error: str


@dataclass(frozen=True)
class Quarantine:
    """Never sent again by itself (409, or the server refused the whole request): -> rejected."""

    message_id: str
    error: str


@dataclass(frozen=True)
class RetryLater:
    """Network failure, 5xx, 408 or 429: sending -> queued, one more attempt counted."""

    message_id: str
    error: str


Outcome = Receipt | ReturnToDraft | Quarantine | RetryLater

_OUTCOME_ACTIONS: dict[type, str] = {
    Receipt: "marked as received",
    ReturnToDraft: "returned for correction",
    Quarantine: "marked as rejected",
    RetryLater: "put back in the outbox",
}


@dataclass(frozen=True)
class OutgoingMessage:
    """A claimed message as the sync engine needs it: only what is sent (values not decoded)."""

    id: str
    idempotency_key: str
    body: dict


_UNSENT = (MessageState.QUEUED, MessageState.SENDING)
# SQLite's default limit on bound parameters is 999 before 3.32; stay well below it.
_IN_CHUNK = 500


def _without_spaces(value: object) -> str:
    return "".join(value.split()) if isinstance(value, str) else ""


class MessageRepository:
    def __init__(self, engine: Engine, codec: PayloadCodec) -> None:
        self._engine = engine
        self._codec = codec

    # --- drafts -------------------------------------------------------------------------------

    def create_draft(
        self,
        owner: str,
        registry: str,
        form: str,
        form_version: int,
        values: dict | None = None,
    ) -> MessageRecord:
        now = utc_now()
        message_id = str(uuid.uuid4())
        with write_transaction(self._engine) as conn:
            conn.execute(
                insert(t).values(
                    id=message_id,
                    owner=owner,
                    registry=registry,
                    form=form,
                    form_version=form_version,
                    state=MessageState.DRAFT.value,
                    values_blob=self._codec.encode(dict(values or {})),
                    body_blob=None,
                    idempotency_key=None,
                    server_issues_blob=None,
                    last_error=None,
                    attempts=0,
                    created_at=now,
                    updated_at=now,
                    queued_at=None,
                    receipt_id=None,
                )
            )
            return self._get(conn, message_id)

    def save_values(self, message_id: str, values: dict) -> None:
        blob = self._codec.encode(values)  # encode first: a bad value never opens a transaction
        with write_transaction(self._engine) as conn:
            self._transition(
                conn,
                message_id,
                {MessageState.DRAFT},
                "edited",
                values_blob=blob,
            )

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
        blob = self._codec.encode(values)  # encode first: a bad value never opens a transaction
        new_changes = [dict(c) for c in changes or []]
        action = "moved to a new form version"
        with write_transaction(self._engine) as conn:
            self._require_state(conn, message_id, {MessageState.DRAFT}, action)
            row = conn.execute(
                select(t.c.form_version, t.c.migration_changes_blob).where(t.c.id == message_id)
            ).one()
            if from_version is not None and row.form_version != from_version:
                raise InvalidTransition(message_id, f"on form version {row.form_version}", action)
            kept = self._changes(row.migration_changes_blob)
            return self._transition(
                conn,
                message_id,
                {MessageState.DRAFT},
                action,
                form_version=int(form_version),
                values_blob=blob,
                migration_changes_blob=self._changes_blob(kept + new_changes),
            )

    def clear_migration_changes(self, message_id: str) -> None:
        """The user has checked what moves to newer form versions changed: forget it.

        Any state (a sent message has none left); the message itself is not edited, so
        `updated_at` stays as it was. KeyError for an unknown message."""
        with write_transaction(self._engine) as conn:
            result = conn.execute(
                update(t).where(t.c.id == message_id).values(migration_changes_blob=None)
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
        query = select(t).where(t.c.owner == owner)
        if states is not None:
            query = query.where(t.c.state.in_([MessageState(s).value for s in states]))
        query = query.order_by(t.c.updated_at.desc(), t.c.created_at.desc(), t.c.id)
        with read_transaction(self._engine) as conn:
            return [self._record(row, with_body=with_body) for row in conn.execute(query)]

    def find_by_patient(
        self,
        owner: str,
        registry: str,
        form: str,
        patient_id: str,
        states: Iterable[MessageState | str] | None = None,
    ) -> list[MessageRecord]:
        """The owner's messages of one form whose `patient_id` answer is `patient_id` (spaces
        ignored), newest updated first. The number sits in the encoded values, so the rows of
        the form are decoded here, where the codec is, and compared in Python."""
        wanted = _without_spaces(patient_id)
        if not wanted:
            return []
        query = select(t).where(t.c.owner == owner, t.c.registry == registry, t.c.form == form)
        if states is not None:
            query = query.where(t.c.state.in_([MessageState(s).value for s in states]))
        query = query.order_by(t.c.updated_at.desc(), t.c.created_at.desc(), t.c.id)
        with read_transaction(self._engine) as conn:
            records = [self._record(row) for row in conn.execute(query)]
        return [r for r in records if _without_spaces(r.values.get("patient_id")) == wanted]

    def count_unsent(self, owner: str) -> int:
        query = (
            select(func.count())
            .select_from(t)
            .where(t.c.owner == owner, t.c.state.in_([s.value for s in _UNSENT]))
        )
        with read_transaction(self._engine) as conn:
            return int(conn.execute(query).scalar_one())

    # --- the outbox ---------------------------------------------------------------------------

    def submit(self, message_id: str, body: dict) -> MessageRecord:
        """Draft -> queued with the body frozen and a new idempotency key, in one transaction."""
        if body.get("message_id") != message_id:
            raise ValueError("The body's message_id must be the id of the message submitted.")
        blob = self._codec.encode(body)
        now = utc_now()
        with write_transaction(self._engine) as conn:
            self._transition(
                conn,
                message_id,
                {MessageState.DRAFT},
                "submitted",
                state=MessageState.QUEUED.value,
                body_blob=blob,
                # The key is made here once; no later transition writes this column again
                # except the 422 return to draft, which clears it for the next submit.
                idempotency_key=str(uuid.uuid4()),
                server_issues_blob=None,
                # Submitting is the user's word that the answers are as they want them.
                migration_changes_blob=None,
                last_error=None,
                attempts=0,
                queued_at=now,
                updated_at=now,
            )
            return self._get(conn, message_id)

    def claim_for_sending(self, owner: str, limit: int = 100) -> list[MessageRecord]:
        """Queued -> sending for the owner's oldest queued messages (at most `limit`), as
        whole records (the engine's own claim is `claim_outgoing`)."""
        claimed = self.claim_outgoing(owner, limit)
        with read_transaction(self._engine) as conn:
            return [self._get(conn, m.id) for m in claimed]

    def claim_outgoing(self, owner: str, limit: int = 100) -> list[OutgoingMessage]:
        """Queued -> sending for the owner's oldest queued messages (at most `limit`), reading
        and decoding only the key and the body: cheap for the engine with large outboxes."""
        with write_transaction(self._engine) as conn:
            rows = conn.execute(
                select(t.c.id, t.c.idempotency_key, t.c.body_blob)
                .where(t.c.owner == owner, t.c.state == MessageState.QUEUED.value)
                .order_by(t.c.queued_at, t.c.created_at, t.c.id)
                .limit(limit)
            ).all()
            if not rows:
                return []
            # Decoded inside the transaction: a body that cannot be read leaves nothing claimed.
            claimed = [
                OutgoingMessage(row.id, row.idempotency_key, self._codec.decode(row.body_blob))
                for row in rows
            ]
            conn.execute(
                update(t)
                .where(t.c.id.in_([m.id for m in claimed]))
                .values(state=MessageState.SENDING.value, updated_at=utc_now())
            )
            return claimed

    def record_outcomes(self, outcomes: Sequence[Outcome]) -> None:
        """Settle a sent batch in ONE transaction: every message must be `sending`, else nothing
        changes (InvalidTransition; KeyError for an unknown message; ValueError for a receipt
        that does not fit). Each gets `last_attempt_at` = now; a Receipt's row is stored in the
        same transaction, so a message is receipted only together with its receipt."""
        if not outcomes:
            return
        ids = [o.message_id for o in outcomes]
        if len(set(ids)) != len(ids):
            raise ValueError("Each message may have only one outcome in a batch.")
        now = utc_now()
        # Everything that can fail without the database is done before the transaction opens.
        receipted: list[dict[str, Any]] = []
        to_draft: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        retry: list[dict[str, Any]] = []
        for outcome in outcomes:
            match outcome:
                case Receipt(message_id=mid, receipt=receipt):
                    if receipt.get("message_id") != mid:
                        raise ValueError(
                            "The receipt is for another message than the one marked receipted."
                        )
                    rid = receipt.get("receipt_id")
                    receipted.append(
                        {"b_id": mid, "b_receipt_id": None if rid is None else str(rid)}
                    )
                case ReturnToDraft(message_id=mid, issues=issues, error=error):
                    blob = self._codec.encode(list(issues))
                    to_draft.append({"b_id": mid, "b_issues": blob, "b_error": error})
                case Quarantine(message_id=mid, error=error):
                    rejected.append({"b_id": mid, "b_error": error})
                case RetryLater(message_id=mid, error=error):
                    retry.append({"b_id": mid, "b_error": error})
                case _:
                    raise TypeError(f"Not an outcome: {type(outcome).__name__}")
        by_id = bindparam("b_id")
        common = {"updated_at": now, "last_attempt_at": now}
        with write_transaction(self._engine) as conn:
            owners = self._require_sending(conn, outcomes)
            # Built (and checked) before any write, stored after the updates: see below.
            receipt_rows = [
                receipt_row(owners[o.message_id], o.receipt, now)
                for o in outcomes
                if isinstance(o, Receipt)
            ]
            if receipted:
                conn.execute(
                    update(t)
                    .where(t.c.id == by_id)
                    .values(
                        state=MessageState.RECEIPTED.value,
                        receipt_id=bindparam("b_receipt_id"),
                        last_error=None,
                        **common,
                    ),
                    receipted,
                )
            if to_draft:
                conn.execute(
                    update(t)
                    .where(t.c.id == by_id)
                    .values(
                        state=MessageState.DRAFT.value,
                        server_issues_blob=bindparam("b_issues"),
                        last_error=bindparam("b_error"),
                        body_blob=None,
                        idempotency_key=None,
                        queued_at=None,
                        **common,
                    ),
                    to_draft,
                )
            if rejected:
                conn.execute(
                    update(t)
                    .where(t.c.id == by_id)
                    .values(
                        state=MessageState.REJECTED.value, last_error=bindparam("b_error"), **common
                    ),
                    rejected,
                )
            if retry:
                conn.execute(
                    update(t)
                    .where(t.c.id == by_id)
                    .values(
                        state=MessageState.QUEUED.value,
                        attempts=t.c.attempts + 1,
                        last_error=bindparam("b_error"),
                        **common,
                    ),
                    retry,
                )
            # After the state updates on purpose: a failing insert rolls them back too.
            insert_receipts(conn, receipt_rows)

    def mark_receipted(self, message_id: str, receipt: dict) -> None:
        """Sending -> receipted; the receipt row is stored in the same transaction."""
        self.record_outcomes([Receipt(message_id, receipt)])

    def mark_returned_to_draft(self, message_id: str, issues: list[dict], error: str) -> None:
        """Sending -> draft after a 422: issues kept for the form; body and key cleared."""
        self.record_outcomes([ReturnToDraft(message_id, issues, error)])

    def mark_failed_attempt(self, message_id: str, error: str) -> None:
        """Sending -> queued after a network error, 5xx or 429; the key stays the same."""
        self.record_outcomes([RetryLater(message_id, error)])

    def mark_rejected(self, message_id: str, error: str) -> None:
        """Sending -> rejected (409: the key was used with another body); kept for inspection."""
        self.record_outcomes([Quarantine(message_id, error)])

    def release_claims(self, message_ids: Iterable[str]) -> int:
        """Sending -> queued without counting an attempt (a cancelled pass never sent them).

        Messages no longer `sending` are left as they are; returns how many were released."""
        return self._move(message_ids, MessageState.SENDING, MessageState.QUEUED)

    def retry_rejected(self, message_ids: Iterable[str]) -> int:
        """Rejected -> queued with the SAME key and body (the user's "Retry"); last_error is
        kept until the next answer. Others are left as they are; returns how many moved."""
        return self._move(message_ids, MessageState.REJECTED, MessageState.QUEUED)

    def return_rejected_to_draft(self, message_id: str) -> MessageRecord:
        """Rejected -> draft to be changed and submitted again: values kept, body and key
        cleared (the next submit makes a new key); last_error kept to show why."""
        with write_transaction(self._engine) as conn:
            return self._transition(
                conn,
                message_id,
                {MessageState.REJECTED},
                "returned to draft",
                state=MessageState.DRAFT.value,
                body_blob=None,
                idempotency_key=None,
                queued_at=None,
            )

    def reset_interrupted(self) -> int:
        """Sending -> queued for every owner (at start-up, after a crash); keys are kept."""
        with write_transaction(self._engine) as conn:
            result = conn.execute(
                update(t)
                .where(t.c.state == MessageState.SENDING.value)
                .values(state=MessageState.QUEUED.value, updated_at=utc_now())
            )
            return result.rowcount

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

    def _require_sending(self, conn: Connection, outcomes: Sequence[Outcome]) -> dict[str, str]:
        """Check every outcome's message is `sending` (one query per chunk); returns owners."""
        ids = [o.message_id for o in outcomes]
        found: dict[str, tuple[str, str]] = {}
        for i in range(0, len(ids), _IN_CHUNK):
            query = select(t.c.id, t.c.state, t.c.owner).where(t.c.id.in_(ids[i : i + _IN_CHUNK]))
            found.update((row.id, (row.state, row.owner)) for row in conn.execute(query))
        for outcome in outcomes:
            if outcome.message_id not in found:
                raise KeyError(outcome.message_id)
            state = found[outcome.message_id][0]
            if state != MessageState.SENDING.value:
                raise InvalidTransition(outcome.message_id, state, _OUTCOME_ACTIONS[type(outcome)])
        return {mid: owner for mid, (_, owner) in found.items()}

    def _move(self, message_ids: Iterable[str], source: MessageState, target: MessageState) -> int:
        ids = list(dict.fromkeys(message_ids))
        if not ids:
            return 0
        moved = 0
        with write_transaction(self._engine) as conn:
            now = utc_now()
            for i in range(0, len(ids), _IN_CHUNK):
                result = conn.execute(
                    update(t)
                    .where(t.c.id.in_(ids[i : i + _IN_CHUNK]), t.c.state == source.value)
                    .values(state=target.value, updated_at=now)
                )
                moved += result.rowcount
        return moved

    def _require_state(
        self, conn: Connection, message_id: str, allowed: set[MessageState], action: str
    ) -> None:
        state = conn.execute(select(t.c.state).where(t.c.id == message_id)).scalar_one_or_none()
        if state is None:
            raise KeyError(message_id)
        if MessageState(state) not in allowed:
            raise InvalidTransition(message_id, state, action)

    def _get(self, conn: Connection, message_id: str) -> MessageRecord:
        row = conn.execute(select(t).where(t.c.id == message_id)).one_or_none()
        if row is None:
            raise KeyError(message_id)
        return self._record(row)

    def _changes(self, blob: bytes | None) -> list[dict]:
        return [] if blob is None else list(self._codec.decode(blob))

    def _changes_blob(self, changes: list[dict]) -> bytes | None:
        return self._codec.encode(changes) if changes else None

    def _record(self, row: Row[Any], *, with_body: bool = True) -> MessageRecord:
        decode = self._codec.decode
        return MessageRecord(
            id=row.id,
            owner=row.owner,
            registry=row.registry,
            form=row.form,
            form_version=row.form_version,
            state=MessageState(row.state),
            values=decode(row.values_blob),
            body=None if row.body_blob is None or not with_body else decode(row.body_blob),
            idempotency_key=row.idempotency_key,
            server_issues=[] if row.server_issues_blob is None else decode(row.server_issues_blob),
            last_error=row.last_error,
            attempts=row.attempts,
            created_at=row.created_at,
            updated_at=row.updated_at,
            queued_at=row.queued_at,
            receipt_id=row.receipt_id,
            migration_changes=self._changes(row.migration_changes_blob),
            last_attempt_at=row.last_attempt_at,
        )
