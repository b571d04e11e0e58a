"""Sign-in throttling: failed sign-ins are counted per username and per client address; past
a few, each further attempt must wait, twice as long per failure up to a cap
(ServerSettings.sign_in_*). A success forgets the username's count (not the address's: a
guesser with one valid account could otherwise reset it between guesses).

The counts are rows of `sign_in_throttle`, so every server process on one database sees them.
A username is stored as its SHA-256 (a mistyped password may stand in the username field).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from registry_server.models import SignInThrottle
from registry_server.settings import ServerSettings


def now_precise() -> datetime:
    # Not models.utcnow(): delays of a second or less (tests) need the microseconds.
    return datetime.now(UTC)


def user_key(username: str) -> str:
    return "user:" + hashlib.sha256(username.casefold().encode("utf-8", "replace")).hexdigest()


def address_key(address: str | None) -> str | None:
    return f"address:{address}" if address else None


def _limits(settings: ServerSettings, username: str, address: str | None) -> dict[str, int]:
    limits = {user_key(username): settings.sign_in_user_failures}
    key = address_key(address)
    if key is not None:
        limits[key] = settings.sign_in_address_failures
    return limits


def seconds_to_wait(
    session: Session, username: str, address: str | None, settings: ServerSettings
) -> float:
    """How long until this username may try again from this address (0: now)."""
    now = now_precise()
    until = session.scalar(
        select(func.max(SignInThrottle.blocked_until)).where(
            SignInThrottle.key.in_(list(_limits(settings, username, address))),
            SignInThrottle.blocked_until > now,
        )
    )
    return 0.0 if until is None else max(0.0, (until - now).total_seconds())


def delay_after(failures: int, limit: int, settings: ServerSettings) -> float:
    """Seconds to wait after `failures` in a row when `limit` are free."""
    if failures < limit:
        return 0.0
    exponent = min(failures - limit, 30)  # 2**30 times any delay is past any cap
    return min(settings.sign_in_delay_s * 2**exponent, settings.sign_in_max_delay_s)


def record_failure(
    session: Session, username: str, address: str | None, settings: ServerSettings
) -> None:
    """Count one failed attempt for the username and the address (in the caller's
    transaction). One upsert per key: concurrent failures all count."""
    now = now_precise()
    forgotten = now - timedelta(seconds=settings.sign_in_forget_s)
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    for key, limit in _limits(settings, username, address).items():
        statement = insert(SignInThrottle).values(
            key=key, failures=1, last_failure_at=now, blocked_until=None
        )
        statement = statement.on_conflict_do_update(
            index_elements=[SignInThrottle.key],
            set_={
                "failures": case(
                    (SignInThrottle.last_failure_at < forgotten, 1),
                    else_=SignInThrottle.failures + 1,
                ),
                "last_failure_at": now,
            },
        ).returning(SignInThrottle.failures)
        failures = session.execute(statement).scalar_one()
        delay = delay_after(failures, limit, settings)
        if delay:
            session.execute(
                update(SignInThrottle)
                .where(SignInThrottle.key == key)
                .values(blocked_until=now + timedelta(seconds=delay))
            )


def forget_user(session: Session, username: str) -> None:
    session.execute(delete(SignInThrottle).where(SignInThrottle.key == user_key(username)))
