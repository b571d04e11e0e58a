"""The audit log: who did what, from which address, when. Never patient data: a message is
named by its id and the SHA-256 of its body, a refused sign-in by its username only when that
user exists (an unknown "username" may be a password typed into the wrong field).

Rows are written with one multi-row INSERT in a transaction the caller already has (sign-in,
a stored message) or in one short transaction of their own (`record_now`): cheap enough for
every request that matters.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from registry_server.models import AuditEntry, utcnow
from registry_server.tokens import Principal

log = logging.getLogger(__name__)

SIGN_IN = "sign_in"
SIGN_IN_REFUSED = "sign_in_refused"
SIGN_IN_RATE_LIMITED = "sign_in_rate_limited"
SIGN_OUT = "sign_out"
REFRESH = "refresh"
REFRESH_REUSED = "refresh_reused"  # a used refresh token again: the sign-in was revoked
PASSWORD_CHANGED = "password_changed"
PASSWORD_CHANGE_REFUSED = "password_change_refused"
MESSAGE_RECEIVED = "message_received"
MESSAGE_REPLAY = "message_replay"
MESSAGE_REFUSED = "message_refused"

_TABLE: Table = AuditEntry.__table__  # type: ignore[assignment]
_ADDRESS_LENGTH = 64


def entry(
    action: str,
    *,
    principal: Principal | None = None,
    username: str | None = None,
    unit_id: int | None = None,
    address: str | None = None,
    message_id: str | None = None,
    body_sha256: str | None = None,
    status: int | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """One row; `principal` gives the username, unit and address unless they are given."""
    if principal is not None:
        username = username or principal.username
        unit_id = unit_id if unit_id is not None else principal.unit_id
        address = address or principal.address
    return {
        "at": at or utcnow(),
        "action": action,
        "username": username,
        "unit_id": unit_id,
        "message_id": message_id,
        "body_sha256": body_sha256,
        "client_address": address[:_ADDRESS_LENGTH] if address else None,
        "status": status,
    }


def record(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add `rows` in the caller's transaction."""
    if rows:
        session.execute(insert(_TABLE), list(rows))


def record_now(session_factory: sessionmaker[Session], rows: Sequence[dict[str, Any]]) -> None:
    """Add `rows` in a transaction of their own. A failure is logged, not raised: the answer
    the client is waiting for (a refusal, a replay) does not depend on it."""
    if not rows:
        return
    try:
        with session_factory.begin() as session:
            record(session, rows)
    except SQLAlchemyError as error:
        log.error("Could not write %d audit entries (%s)", len(rows), type(error).__name__)
