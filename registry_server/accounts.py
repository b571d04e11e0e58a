"""Units, users and bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from registry_server.models import Token, Unit, User, utcnow
from registry_server.passwords import DUMMY_HASH, hash_password, verify_password


@dataclass(frozen=True)
class Principal:
    """The signed-in user of one request."""

    user_id: int
    username: str
    unit_id: int


def get_or_create_unit(
    session: Session, *, name: str, hospital_code: str, hospital_name: str, department: str
) -> tuple[Unit, bool]:
    unit = session.scalar(select(Unit).filter_by(hospital_code=hospital_code, name=name))
    if unit is not None:
        return unit, False
    unit = Unit(
        name=name, hospital_code=hospital_code, hospital_name=hospital_name, department=department
    )
    session.add(unit)
    session.flush()
    return unit, True


def create_user(
    session: Session, *, username: str, password: str, display_name: str, unit: Unit
) -> User:
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        unit_id=unit.id,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).filter_by(username=username))
    ok = verify_password(password, user.password_hash if user else DUMMY_HASH)
    return user if ok and user is not None else None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User, ttl: timedelta) -> tuple[str, datetime]:
    """A new bearer token; only its hash is stored. Expired tokens of the user are removed."""
    now = utcnow()
    session.execute(delete(Token).where(Token.user_id == user.id, Token.expires_at <= now))
    token = secrets.token_urlsafe(32)
    expires_at = now + ttl
    session.add(
        Token(
            token_sha256=token_hash(token), user_id=user.id, created_at=now, expires_at=expires_at
        )
    )
    return token, expires_at


def principal_for_token(session: Session, token: str) -> Principal | None:
    row = session.execute(
        select(User.id, User.username, User.unit_id)
        .join(Token, Token.user_id == User.id)
        .where(Token.token_sha256 == token_hash(token), Token.expires_at > utcnow())
    ).one_or_none()
    return None if row is None else Principal(user_id=row[0], username=row[1], unit_id=row[2])
