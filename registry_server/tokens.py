"""Bearer tokens: one sign-in is a short-lived access token and a refresh token, renewed
together (the refresh token is replaced at each use) and revoked together.

Only SHA-256 hashes are stored. A refresh token exchanged a second time is a copy in someone
else's hands (or a client that lost the answer to its first exchange): the whole sign-in is
revoked and its owner signs in again (OAuth 2.0 security best practice, "refresh token
rotation").
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from registry_server.models import Token, Unit, User, utcnow

ACCESS = "access"
REFRESH = "refresh"


@dataclass(frozen=True)
class Principal:
    """The signed-in user of one request: who, which unit, which sign-in, from where."""

    user_id: int
    username: str
    unit_id: int
    sign_in: str | None = None
    # The unit's hospital code and department code (registry_server.reporting_unit).
    hospital_code: str | None = None
    department: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Issued:
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    sign_in: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_token(
    session: Session, user_id: int, sign_in: str, kind: str, now: datetime, ttl: timedelta
) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    expires_at = now + ttl
    session.add(
        Token(
            token_sha256=token_hash(token),
            user_id=user_id,
            created_at=now,
            expires_at=expires_at,
            kind=kind,
            sign_in=sign_in,
        )
    )
    return token, expires_at


def issue_tokens(
    session: Session,
    user_id: int,
    access_ttl: timedelta,
    refresh_ttl: timedelta,
    sign_in: str | None = None,
) -> Issued:
    """An access and a refresh token for a new sign-in (or for `sign_in` when renewing it).
    The user's expired tokens are removed on the way."""
    now = utcnow()
    session.execute(delete(Token).where(Token.user_id == user_id, Token.expires_at <= now))
    sign_in = sign_in or secrets.token_hex(16)
    access, access_expires = _new_token(session, user_id, sign_in, ACCESS, now, access_ttl)
    refresh, refresh_expires = _new_token(session, user_id, sign_in, REFRESH, now, refresh_ttl)
    return Issued(access, access_expires, refresh, refresh_expires, sign_in)


RefreshOutcome = Literal["refreshed", "reused", "invalid"]


def use_refresh_token(
    session: Session, refresh_token: str, access_ttl: timedelta, refresh_ttl: timedelta
) -> tuple[RefreshOutcome, User | None, Issued | None]:
    """Exchange a refresh token for new tokens of the same sign-in. "reused": it had been
    exchanged before, and the sign-in is now revoked. The caller commits."""
    digest = token_hash(refresh_token)
    now = utcnow()
    # One conditional UPDATE: two exchanges at once cannot both win.
    taken = session.execute(
        update(Token)
        .where(
            Token.token_sha256 == digest,
            Token.kind == REFRESH,
            Token.used_at.is_(None),
            Token.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    row = session.execute(
        select(Token.user_id, Token.sign_in, Token.used_at, Token.kind).where(
            Token.token_sha256 == digest
        )
    ).one_or_none()
    if row is None or row.kind != REFRESH:
        return "invalid", None, None
    user = session.get(User, row.user_id)
    if not taken:
        if row.used_at is not None and row.sign_in is not None:
            revoke_sign_in(session, row.sign_in)
            return "reused", user, None
        return "invalid", user, None
    assert user is not None and row.sign_in is not None
    # The access token of the previous exchange goes: one live access token per sign-in.
    session.execute(delete(Token).where(Token.sign_in == row.sign_in, Token.kind == ACCESS))
    return "refreshed", user, issue_tokens(session, user.id, access_ttl, refresh_ttl, row.sign_in)


def revoke_sign_in(session: Session, sign_in: str) -> int:
    """Remove every token of one sign-in; returns how many there were."""
    return session.execute(delete(Token).where(Token.sign_in == sign_in)).rowcount


def revoke_other_sign_ins(session: Session, user_id: int, keep: str | None) -> int:
    """Remove every token of the user except those of the sign-in `keep`."""
    statement = delete(Token).where(Token.user_id == user_id)
    if keep is not None:
        statement = statement.where((Token.sign_in != keep) | Token.sign_in.is_(None))
    return session.execute(statement).rowcount


def principal_for_token(
    session: Session, token: str, address: str | None = None
) -> Principal | None:
    row = session.execute(
        select(
            User.id,
            User.username,
            User.unit_id,
            Token.sign_in,
            Unit.hospital_code,
            Unit.department,
        )
        .join(Token, Token.user_id == User.id)
        .join(Unit, Unit.id == User.unit_id)
        .where(
            Token.token_sha256 == token_hash(token),
            Token.kind == ACCESS,
            Token.expires_at > utcnow(),
        )
    ).one_or_none()
    if row is None:
        return None
    return Principal(
        user_id=row[0],
        username=row[1],
        unit_id=row[2],
        sign_in=row[3],
        hospital_code=row[4],
        department=row[5],
        address=address,
    )


def escrow_key_of(session: Session, user: User) -> str:
    """The user's escrow key (base64url of 32 random bytes, no padding), made on first need.

    The client wraps the key of its local cache with it as well as with the password, so a
    clinician who has forgotten their password can still have their unsent messages sent
    after the password is reset: the registry hands the escrow key only to a signed-in user,
    and it never changes (not with the password), or the cache could no longer be opened."""
    if not user.escrow_key:
        key = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")
        # Only if still unset: two first sign-ins at once agree on the winner's key.
        session.execute(
            update(User)
            .where(User.id == user.id, User.escrow_key.is_(None))
            .values(escrow_key=key)
            .execution_options(synchronize_session=False)
        )
        session.flush()
        user.escrow_key = session.scalar(select(User.escrow_key).where(User.id == user.id))
    assert user.escrow_key is not None
    return user.escrow_key
