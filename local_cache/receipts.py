"""Receipts the server issued for this PC's messages, stored with the message's state change."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, insert, select

from local_cache.database import read_transaction
from local_cache.schema import receipts as t

_KNOWN = ("receipt_id", "message_id", "registry", "form", "version", "received_at")
_KNOWN += ("body_sha256", "unit_id")


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
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def list(self, owner: str) -> list[ReceiptRecord]:
        """The owner's receipts, newest stored first."""
        query = select(t).where(t.c.owner == owner).order_by(t.c.stored_at.desc(), t.c.receipt_id)
        with read_transaction(self._engine) as conn:
            return [_record(row) for row in conn.execute(query)]

    def get(self, receipt_id: str) -> ReceiptRecord:
        with read_transaction(self._engine) as conn:
            row = conn.execute(select(t).where(t.c.receipt_id == receipt_id)).one_or_none()
        if row is None:
            raise KeyError(receipt_id)
        return _record(row)


def receipt_row(
    owner: str,
    receipt: dict,
    stored_at: datetime,
    *,
    verdict: str | None = None,
    origin: str = "this_pc",
) -> dict[str, Any]:
    """The receipts row for a receipt from the server; ValueError when a field is missing.
    `verdict`: what checking its signature found; `origin`: "this_pc" for our own message's
    receipt, "server" for one fetched by cursor."""
    missing = [key for key in _KNOWN if receipt.get(key) in (None, "")]
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
    """Store receipt rows (see receipt_row) inside the caller's transaction, in one statement
    (MessageRepository.record_outcomes: a receipt is stored with its message's state)."""
    if rows:
        conn.execute(insert(t), rows)


def _record(row: Row[Any]) -> ReceiptRecord:
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
    )
