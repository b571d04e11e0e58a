"""GET /receipts: the unit's receipts after a cursor.

The cursor lags behind the newest receipts. `Receipt.seq` is allocated when a receipt is
inserted, not when its transaction commits, so with several server processes on one
PostgreSQL database a receipt with a lower seq can become visible after one with a higher seq
was already served; a cursor past the higher one would skip it for good. So every receipt after
`since` is returned, but the cursor moves only over the leading run of receipts received more
than `ServerSettings.receipts_cursor_settle_s` ago (60 s: far longer than the transaction that
stamps `received_at` and stores a receipt). Fresh ones come again in the next answer; clients
keep the receipts they already have by `receipt_id` and stop paging when the cursor does not
move (desktop_app.sync.receipt_steps.fetch_receipts).
"""

from __future__ import annotations

import datetime
import re

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import BigInteger, literal, select

from registry_server.deps import PrincipalDep, SessionDep, SettingsDep
from registry_server.models import Receipt, utcnow
from registry_server.schemas import Problem, ReceiptList

router = APIRouter(tags=["receipts"])

PAGE_SIZE = 500
# A cursor this server gives: a receipt's seq, at most 18 digits (fits a 64-bit integer).
_CURSOR = re.compile(r"[0-9]{1,18}")


@router.get("/receipts", response_model=ReceiptList, responses={400: {"model": Problem}})
def list_receipts(
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    since: str | None = Query(
        None, description="The cursor of an earlier answer; omit it to start from the beginning."
    ),
) -> dict:
    after = 0
    if since:
        if not _CURSOR.fullmatch(since):
            raise HTTPException(
                400, "The since cursor is not one this server gave; omit it to fetch all receipts."
            )
        after = int(since)
    rows = session.scalars(
        select(Receipt)
        # Bound as a 64-bit integer: PostgreSQL would refuse a large cursor cast to seq's type.
        .where(Receipt.unit_id == principal.unit_id, Receipt.seq > literal(after, BigInteger()))
        .order_by(Receipt.seq)
        .limit(PAGE_SIZE)
    ).all()
    settled = utcnow() - datetime.timedelta(seconds=settings.receipts_cursor_settle_s)
    cursor = after
    for row in rows:
        if row.received_at > settled:
            break  # this one and the rest may still have a lower seq committing beside them
        cursor = row.seq
    return {"receipts": [r.to_dict() for r in rows], "cursor": str(cursor)}
