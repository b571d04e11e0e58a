"""GET /receipt-keys: the public keys receipts are signed with (no sign-in needed)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from registry_server.deps import SessionDep
from registry_server.schemas import ReceiptKeyList
from registry_server.signing import published_keys

router = APIRouter(tags=["receipts"])


@router.get(
    "/receipt-keys",
    response_model=ReceiptKeyList,
    description="Every Ed25519 key the registry signs (or has signed) receipts with. A receipt "
    "names its key by key_id; anyone may verify it with that key, offline.",
)
def list_receipt_keys(request: Request, session: SessionDep) -> dict:
    return {"keys": published_keys(session, request.app.state.signing_key)}
