"""Units, users and passwords. Bearer tokens are registry_server.tokens."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_server.models import Unit, User
from registry_server.passwords import DUMMY_HASH, hash_password, verify_password
from registry_server.tokens import Principal

__all__ = ["Principal", "authenticate", "create_user", "get_or_create_unit", "set_password"]


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


def set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
