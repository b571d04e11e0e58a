"""The outbox half of the message repository: submit, claim, settle a sent batch, retry.

Mixed into `local_cache.messages.MessageRepository`, whose helpers (`_transition`, `_get`,
`_require_state`) it uses; the state diagram is at the top of that module.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, update

from local_cache.codec import PayloadCodec
from local_cache.crypto import payload_context
from local_cache.database import read_transaction, write_transaction
from local_cache.errors import InvalidTransition, NotOwner, PayloadRefused
from local_cache.message_records import (
    OUTCOME_ACTIONS,
    MessageRecord,
    MessageState,
    Outcome,
    OutgoingMessage,
    Quarantine,
    Receipt,
    RetryLater,
    ReturnToDraft,
)
from local_cache.receipts import insert_receipts, receipt_row
from local_cache.schema import messages as t
from local_cache.schema import utc_now

# SQLite's default limit on bound parameters is 999 before 3.32; stay well below it.
IN_CHUNK = 500

# Why a queued message was set aside without being sent (shown in the outbox).
TAMPERED_BODY = (
    "The stored copy of this report was changed outside the application, so it is not sent. "
    "Make the report again, and tell your IT department."
)


class OutboxTransitions:
    _engine: Engine
    _codec: PayloadCodec
    _owner: str | None

    def _owner_for(self, owner: str | None) -> str:
        raise NotImplementedError

    def _owned(self) -> tuple[Any, ...]:
        raise NotImplementedError

    def _context(self, column: str, message_id: str, owner: str | None = None) -> str:
        raise NotImplementedError

    def _transition(
        self,
        conn: Connection,
        message_id: str,
        allowed: set[MessageState],
        action: str,
        **changes: Any,
    ) -> MessageRecord:
        raise NotImplementedError

    def _get(self, conn: Connection, message_id: str) -> MessageRecord:
        raise NotImplementedError

    def submit(self, message_id: str, body: dict) -> MessageRecord:
        """Draft -> queued with the body frozen and a new idempotency key, in one transaction."""
        if body.get("message_id") != message_id:
            raise ValueError("The body's message_id must be the id of the message submitted.")
        blob = self._codec.encode(body, self._context("messages.body", message_id))
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

    def claim_for_sending(self, owner: str | None, limit: int = 100) -> list[MessageRecord]:
        """Queued -> sending for the owner's oldest queued messages (at most `limit`), as
        whole records (the engine's own claim is `claim_outgoing`)."""
        claimed = self.claim_outgoing(owner, limit)
        with read_transaction(self._engine) as conn:
            return [self._get(conn, m.id) for m in claimed]

    def claim_outgoing(self, owner: str | None, limit: int = 100) -> list[OutgoingMessage]:
        """Queued -> sending for the owner's oldest queued messages (at most `limit`), reading
        and decoding only the key and the body: cheap for the engine with large outboxes.

        The body opens with the outbox key alone, so this works while the screen is locked."""
        owner = self._owner_for(owner)
        with write_transaction(self._engine) as conn:
            rows = conn.execute(
                select(t.c.id, t.c.idempotency_key, t.c.body_blob)
                .where(t.c.owner == owner, t.c.state == MessageState.QUEUED.value)
                .order_by(t.c.queued_at, t.c.created_at, t.c.id)
                .limit(limit)
            ).all()
            if not rows:
                return []
            claimed: list[OutgoingMessage] = []
            for row in rows:
                try:
                    body = self._codec.decode(
                        row.body_blob, payload_context("messages.body", owner, row.id)
                    )
                except PayloadRefused:
                    # Changed on disk (or planted): never sent, kept for the user to see why.
                    conn.execute(
                        update(t)
                        .where(t.c.id == row.id)
                        .values(
                            state=MessageState.REJECTED.value,
                            last_error=TAMPERED_BODY,
                            updated_at=utc_now(),
                        )
                    )
                    continue
                claimed.append(OutgoingMessage(row.id, row.idempotency_key, body))
            if not claimed:
                return []
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
                    blob = self._codec.encode(
                        list(issues), self._context("messages.server_issues", mid)
                    )
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
                receipt_row(owners[o.message_id], o.receipt, now, verdict=o.verdict)
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
        """Sending -> queued for every owner (at start-up, after a crash; only the bound
        owner's when bound); keys are kept."""
        with write_transaction(self._engine) as conn:
            result = conn.execute(
                update(t)
                .where(t.c.state == MessageState.SENDING.value, *self._owned())
                .values(state=MessageState.QUEUED.value, updated_at=utc_now())
            )
            return result.rowcount

    # --- helpers ------------------------------------------------------------------------------

    def _require_sending(self, conn: Connection, outcomes: Sequence[Outcome]) -> dict[str, str]:
        """Check every outcome's message is `sending` (one query per chunk); returns owners."""
        ids = [o.message_id for o in outcomes]
        found: dict[str, tuple[str, str]] = {}
        for i in range(0, len(ids), IN_CHUNK):
            query = select(t.c.id, t.c.state, t.c.owner).where(t.c.id.in_(ids[i : i + IN_CHUNK]))
            found.update((row.id, (row.state, row.owner)) for row in conn.execute(query))
        for outcome in outcomes:
            if outcome.message_id not in found:
                raise KeyError(outcome.message_id)
            if self._owner is not None and found[outcome.message_id][1] != self._owner:
                raise NotOwner(outcome.message_id)
            state = found[outcome.message_id][0]
            if state != MessageState.SENDING.value:
                raise InvalidTransition(outcome.message_id, state, OUTCOME_ACTIONS[type(outcome)])
        return {mid: owner for mid, (_, owner) in found.items()}

    def _move(self, message_ids: Iterable[str], source: MessageState, target: MessageState) -> int:
        ids = list(dict.fromkeys(message_ids))
        if not ids:
            return 0
        moved = 0
        with write_transaction(self._engine) as conn:
            now = utc_now()
            for i in range(0, len(ids), IN_CHUNK):
                result = conn.execute(
                    update(t)
                    .where(
                        t.c.id.in_(ids[i : i + IN_CHUNK]), t.c.state == source.value, *self._owned()
                    )
                    .values(state=target.value, updated_at=now)
                )
                moved += result.rowcount
        return moved
