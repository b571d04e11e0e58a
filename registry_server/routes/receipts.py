"""GET /receipts: the unit's receipts after a cursor."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import select

from registry_server.deps import PrincipalDep, SessionDep
from registry_server.models import Receipt
from registry_server.schemas import Problem, ReceiptList

router = APIRouter(tags=["receipts"])

PAGE_SIZE = 500


@router.get("/receipts", response_model=ReceiptList, responses={400: {"model": Problem}})
def list_receipts(
    session: SessionDep,
    principal: PrincipalDep,
    since: str | None = Query(
        None, description="The cursor of an earlier answer; omit it to start from the beginning."
    ),
) -> dict:
    after = 0
    if since:
        if not since.isdigit():
            raise HTTPException(
                400, "The since cursor is not one this server gave; omit it to fetch all receipts."
            )
        after = int(since)
    rows = session.scalars(
        select(Receipt)
        .where(Receipt.unit_id == principal.unit_id, Receipt.seq > after)
        .order_by(Receipt.seq)
        .limit(PAGE_SIZE)
    ).all()
    cursor = rows[-1].seq if rows else after
    return {"receipts": [r.to_dict() for r in rows], "cursor": str(cursor)}
