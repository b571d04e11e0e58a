"""Receipts the registry issued: stored with our own message's state change (origin "this_pc")
or fetched by cursor for the unit's messages (origin "server", e.g. sent from another computer).

A receipt is read together with this computer's copy of its message (when there is one): the
body exactly as it was sent, decoded through the cache's codec, so a printed receipt can name the
patient and the reporter without the registry ever sending them back. The cache knows nothing of
forms: which values mean what is for ``desktop_app.receipts``.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    Select,
    bindparam,
    case,
    func,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from local_cache.codec import JsonPayloadCodec, PayloadCodec
from local_cache.crypto import payload_context
from local_cache.database import read_transaction, write_transaction
from local_cache.errors import PayloadRefused
from local_cache.owned import check_binding, owner_for
from local_cache.schema import messages as m
from local_cache.schema import receipts as t

_KNOWN = ("receipt_id", "message_id", "registry", "form", "version", "received_at")
_KNOWN += ("body_sha256", "unit_id")
# The receipt's own columns, replaced when our answer's receipt meets a fetched one.
_REPLACED = ("registry", "form", "version", "received_at", "body_sha256", "unit_id", "stored_at")
# Receipt ids per IN (...) list: SQLite's bound-parameter limit is 999 before 3.32.
_IN_CHUNK = 500

ORIGIN_THIS_PC = "this_pc"
ORIGIN_SERVER = "server"


@dataclass(frozen=True)
class ReceiptRecord:
    receipt_id: str
    message_id: str
    registry: str
    form: str
    version: int
    received_at: str  # ISO 8601 UTC, exactly as the server wrote it
    body_sha256: str
    unit_id: str
    stored_at: datetime
    # The receipt exactly as the server sent it, including fields this version does not know
    # by name (e.g. a signature), so it can be verified and printed unchanged.
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # What checking the signature found when the receipt was stored (or checked again after
    # new keys were fetched): a desktop_app.receipt_signature.Verdict value; None: not checked.
    verdict: str | None = None
    origin: str = ORIGIN_THIS_PC  # "this_pc" or "server" (fetched by cursor)
    owner: str = ""  # the user it was stored for
    # This computer's copy of the message: whose it is (None: not on this computer) and the
    # body as sent (None when not read: another user's message, or not asked for). Never in
    # repr: it names the patient.
    local_owner: str | None = None
    local_body: dict[str, Any] | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The receipt as the server sent it (stored_at is local and left out)."""
        if self.raw:
            return json.loads(json.dumps(self.raw))  # a copy the caller may change
        return {
            "receipt_id": self.receipt_id,
            "message_id": self.message_id,
            "registry": self.registry,
            "form": self.form,
            "version": self.version,
            "received_at": self.received_at,
            "body_sha256": self.body_sha256,
            "unit_id": self.unit_id,
        }


class ReceiptRepository:
    def __init__(
        self, engine: Engine, codec: PayloadCodec | None = None, owner: str | None = None
    ) -> None:
        codec = codec or JsonPayloadCodec()
        check_binding(codec, owner)
        self._engine = engine
        self._codec = codec
        self._owner = owner

    def list(self, owner: str | None, unit_id: object | None = None) -> list[ReceiptRecord]:
        """The owner's receipts, and with `unit_id` also every receipt of that unit stored on
        this computer (fetched by another user of it); newest stored first. The message's body
        is read for the owner's own messages only."""
        owner = owner_for(self._owner, owner)
        condition = t.c.owner == owner
        if unit_id is not None:
            condition = or_(condition, t.c.unit_id == str(unit_id))
        query = _joined().where(condition).order_by(t.c.stored_at.desc(), t.c.receipt_id)
        with read_transaction(self._engine) as conn:
            return [self._record(row, body_for=owner) for row in conn.execute(query)]

    def get(self, receipt_id: str) -> ReceiptRecord:
        """One receipt with this computer's copy of its message (KeyError). Bound to a user,
        the copy is read only when it is that user's message."""
        with read_transaction(self._engine) as conn:
            row = conn.execute(_joined().where(t.c.receipt_id == receipt_id)).one_or_none()
        if row is None:
            raise KeyError(receipt_id)
        return self._record(row, body_for=self._owner)

    def received_at(self, receipt_id: str) -> str | None:
        """When the registry received the receipt's message (its received_at), or None when
        the receipt is not here: one column, nothing joined or decoded (for callers that only
        need the date)."""
        query = select(t.c.received_at).where(t.c.receipt_id == receipt_id)
        with read_transaction(self._engine) as conn:
            return conn.execute(query).scalar_one_or_none()

    def store_fetched(
        self,
        owner: str | None,
        receipts: Sequence[tuple[Mapping[str, Any], str | None]],
        stored_at: datetime,
    ) -> int:
        """Store receipts fetched from the server ((receipt, verdict) pairs, origin "server")
        in one transaction; a receipt already stored (ours, or fetched before) is left as it
        is. Returns how many were new. ValueError when a receipt lacks a field."""
        owner = owner_for(self._owner, owner)
        rows = [
            receipt_row(owner, dict(receipt), stored_at, verdict=verdict, origin=ORIGIN_SERVER)
            for receipt, verdict in receipts
        ]
        if not rows:
            return 0
        ids = [row["receipt_id"] for row in rows]
        with write_transaction(self._engine) as conn:
            before = _count(conn, ids)
            # DO NOTHING on any uniqueness: the receipt id, or the message id (a message
            # has one receipt; a second one under another id is the server's business).
            conn.execute(sqlite_insert(t).on_conflict_do_nothing(), rows)
            return _count(conn, ids) - before

    def stored_ids(self, receipt_ids: Iterable[str]) -> set[str]:
        """Those of `receipt_ids` stored already (so a fetch need not check them again)."""
        ids = [str(i) for i in receipt_ids]
        found: set[str] = set()
        with read_transaction(self._engine) as conn:
            for start in range(0, len(ids), _IN_CHUNK):
                chunk = ids[start : start + _IN_CHUNK]
                query = select(t.c.receipt_id).where(t.c.receipt_id.in_(chunk))
                found.update(conn.execute(query).scalars())
        return found

    def with_verdicts(self, verdicts: Collection[str | None]) -> list[ReceiptRecord]:
        """Receipts whose stored verdict is one of `verdicts` (None: never checked), without
        their messages: to check again once more keys are known."""
        wanted = [v for v in verdicts if v is not None]
        conditions = [t.c.verdict.in_(wanted)] if wanted else []
        if None in verdicts:
            conditions.append(t.c.verdict.is_(None))
        if not conditions:
            return []
        query = select(t).where(or_(*conditions)).order_by(t.c.stored_at)
        with read_transaction(self._engine) as conn:
            return [_plain(row) for row in conn.execute(query)]

    def set_verdicts(self, verdicts: Mapping[str, str | None]) -> None:
        """Store what checking the receipts again found ({receipt_id: verdict})."""
        if not verdicts:
            return
        statement = (
            update(t)
            .where(t.c.receipt_id == bindparam("b_id"))
            .values(verdict=bindparam("b_verdict"))
        )
        params = [{"b_id": rid, "b_verdict": v} for rid, v in verdicts.items()]
        with write_transaction(self._engine) as conn:
            conn.execute(statement, params)

    def _record(self, row: Row[Any], *, body_for: str | None) -> ReceiptRecord:
        body = None
        if row.local_body_blob is not None and (body_for is None or row.local_owner == body_for):
            try:
                body = self._codec.decode(
                    row.local_body_blob,
                    payload_context("messages.body", row.local_owner, row.message_id),
                )
            except PayloadRefused:
                body = None  # changed on disk: the receipt shows no copy rather than a false one
        return _plain(row, local_owner=row.local_owner, local_body=body)


def missing_fields(receipt: object) -> list[str]:
    """The fields a receipt must have to be stored that `receipt` lacks (all of them when it
    is not even an object)."""
    if not isinstance(receipt, Mapping):
        return list(_KNOWN)
    return [key for key in _KNOWN if receipt.get(key) in (None, "")]


def receipt_row(
    owner: str,
    receipt: dict,
    stored_at: datetime,
    *,
    verdict: str | None = None,
    origin: str = ORIGIN_THIS_PC,
) -> dict[str, Any]:
    """The receipts row for a receipt from the server; ValueError when a field is missing.
    `verdict`: what checking its signature found; `origin`: "this_pc" for our own message's
    receipt, "server" for one fetched by cursor."""
    missing = missing_fields(receipt)
    if missing:
        raise ValueError(f"The receipt is incomplete; missing: {', '.join(missing)}.")
    return {
        "receipt_id": str(receipt["receipt_id"]),
        "message_id": receipt["message_id"],
        "owner": owner,
        "registry": receipt["registry"],
        "form": receipt["form"],
        "version": int(receipt["version"]),
        "received_at": str(receipt["received_at"]),
        "body_sha256": receipt["body_sha256"],
        "unit_id": str(receipt["unit_id"]),
        "receipt_json": json.dumps(receipt, ensure_ascii=False),
        "stored_at": stored_at,
        "verdict": verdict,
        "origin": origin,
    }


def insert_receipts(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Store our own messages' receipt rows (see receipt_row) inside the caller's transaction,
    in one statement (MessageRepository.record_outcomes: a receipt is stored with its
    message's state).

    The same receipt may already be here, fetched by cursor (origin "server"): the server
    committed our message, we did not store its answer (a crash, a lost connection), and the
    unit's receipts were fetched before the message was sent again and the server replayed
    the same receipt. That row becomes ours: origin "this_pc", our owner, the receipt as our
    answer has it, and the verdict found now (kept when none was found now). A receipt id
    already stored for ANOTHER message still fails with IntegrityError: the update would set
    its message_id to NULL, which the column refuses (so the whole transaction rolls back, as
    a plain insert would). A second receipt for one message fails on the unique message_id as
    before."""
    if not rows:
        return
    upsert = sqlite_insert(t)
    upsert = upsert.on_conflict_do_update(
        index_elements=[t.c.receipt_id],
        set_={
            "owner": upsert.excluded.owner,
            "origin": upsert.excluded.origin,
            # All of it as our own answer has it (a receipt fetched earlier under the same id
            # may have been another one: changed on its way, or forged).
            **{name: getattr(upsert.excluded, name) for name in _REPLACED},
            "receipt_json": upsert.excluded.receipt_json,
            "verdict": func.coalesce(upsert.excluded.verdict, t.c.verdict),
            "message_id": case(
                (t.c.message_id == upsert.excluded.message_id, t.c.message_id), else_=null()
            ),
        },
    )
    conn.execute(upsert, rows)


def _joined() -> Select[Any]:
    """Receipts with this computer's copy of the message: its owner and body (or NULLs)."""
    return select(
        t,
        m.c.owner.label("local_owner"),
        m.c.body_blob.label("local_body_blob"),
    ).outerjoin(m, m.c.id == t.c.message_id)


def _count(conn: Connection, ids: Iterable[str]) -> int:
    ids = list(ids)
    total = 0
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        query = select(func.count()).select_from(t).where(t.c.receipt_id.in_(chunk))
        total += conn.execute(query).scalar_one()
    return total


def _plain(row: Row[Any], **local: Any) -> ReceiptRecord:
    return ReceiptRecord(
        receipt_id=row.receipt_id,
        message_id=row.message_id,
        registry=row.registry,
        form=row.form,
        version=row.version,
        received_at=row.received_at,
        body_sha256=row.body_sha256,
        unit_id=row.unit_id,
        stored_at=row.stored_at,
        raw=json.loads(row.receipt_json),
        verdict=row.verdict,
        origin=row.origin,
        owner=row.owner,
        **local,
    )
