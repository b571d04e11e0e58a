"""Sign-in throttling: attempts are counted under three keys, each with its own limit
(ServerSettings.sign_in_*):

* the username from this client address (`sign_in_user_failures`, small),
* the username from any address (`sign_in_user_total_failures`, larger),
* the client address for any username (`sign_in_address_failures`).

Past a key's limit, each further attempt under it must wait, twice as long per failure up to a
cap. A count is forgotten after `sign_in_forget_s` without an attempt under its key.

Trade-off of the keys. A limit on the username alone lets anyone who knows a username keep
that clinician out from every PC, with one wrong attempt whenever the wait runs out. Keyed by
(username, address), a stranger's guesses only lock the username out on the stranger's own
address; the clinician signs in from a ward PC as usual. A guesser with many addresses
(a botnet, a large NAT, IPv6) would then get the small limit on every address, so the
larger per-username limit over all addresses still stops a distributed guess, at the cost
that such an attacker, and only such a one, can again delay the clinician everywhere: from a
single address the per-(username, address) waits (doubling to the cap) let far fewer than
`sign_in_user_total_failures` attempts through in an hour, so reaching it takes several
addresses. The address limit stops one address trying many usernames.

Race-free counting. An attempt is counted *before* the password is checked (the check is a
slow hash): `count_attempt` increments every key with one upsert that returns the new count,
sets the wait if a limit is reached, and commits before the caller checks the password. Rows
are locked from the upsert to the commit (PostgreSQL row locks; SQLite's single writer), in
one order of keys, so of N simultaneous attempts exactly those under the limit go through
and the others see the wait. An attempt refused because a key is waiting is not counted (the
transaction is rolled back): hammering a waiting key does not lengthen the wait.

A success (`succeeded`) forgets the username's counts, over all addresses and from this
address, and takes back its own count of the address (not the address's whole count: a
guesser with one valid account could otherwise reset it between guesses). Other addresses'
counts for the username stay: a success here says nothing about the guesser there.

The counts are rows of `sign_in_throttle`, so every server process on one database sees them.
A username is stored as its SHA-256 (a mistyped password may stand in the username field).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from registry_server.models import SignInThrottle
from registry_server.settings import ServerSettings


def now_precise() -> datetime:
    # Not models.utcnow(): delays of a second or less (tests) need the microseconds.
    return datetime.now(UTC)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def user_key(username: str) -> str:
    """The username over all addresses."""
    return "user:" + _sha256(username.casefold())


def user_at_address_key(username: str, address: str | None) -> str:
    """The username from one address (no address known: one key for all such attempts)."""
    return "user-at:" + _sha256(username.casefold() + "\n" + (address or ""))


def address_key(address: str | None) -> str | None:
    return f"address:{address}" if address else None


def _limits(settings: ServerSettings, username: str, address: str | None) -> dict[str, int]:
    limits = {
        user_key(username): settings.sign_in_user_total_failures,
        user_at_address_key(username, address): settings.sign_in_user_failures,
    }
    key = address_key(address)
    if key is not None:
        limits[key] = settings.sign_in_address_failures
    return limits


def delay_after(failures: int, limit: int, settings: ServerSettings) -> float:
    """Seconds to wait after `failures` in a row when `limit` are free."""
    if failures < limit:
        return 0.0
    exponent = min(failures - limit, 30)  # 2**30 times any delay is past any cap
    return min(settings.sign_in_delay_s * 2**exponent, settings.sign_in_max_delay_s)


@dataclass
class Attempt:
    """One sign-in attempt: counted (wait 0) or refused for `wait` seconds (not counted)."""

    username: str
    address: str | None
    wait: float = 0.0
    # Key -> the wait this attempt set on it (None: none), for `succeeded` to take it back.
    blocks_set: dict[str, datetime | None] = field(default_factory=dict)


def count_attempt(
    session: Session, username: str, address: str | None, settings: ServerSettings
) -> Attempt:
    """Count an attempt under each key and COMMIT, before the caller checks the password; or,
    if any key must still wait, count nothing (roll back) and answer the longest wait.

    The session must have no pending changes: they would be committed or rolled back here."""
    now = now_precise()
    forgotten = now - timedelta(seconds=settings.sign_in_forget_s)
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    attempt = Attempt(username, address)
    counted: dict[str, tuple[int, int]] = {}
    # One order of keys in every transaction: two attempts never wait on each other's rows
    # crosswise (no deadlock on PostgreSQL).
    for key, limit in sorted(_limits(settings, username, address).items()):
        statement = (
            insert(SignInThrottle)
            .values(key=key, failures=1, last_failure_at=now, blocked_until=None)
            .on_conflict_do_update(
                index_elements=[SignInThrottle.key],
                set_={
                    "failures": case(
                        (SignInThrottle.last_failure_at < forgotten, 1),
                        else_=SignInThrottle.failures + 1,
                    ),
                    "last_failure_at": now,
                },
            )
            .returning(SignInThrottle.failures, SignInThrottle.blocked_until)
        )
        failures, blocked_until = session.execute(statement).one()
        if blocked_until is not None and blocked_until > now:
            attempt.wait = max(attempt.wait, (blocked_until - now).total_seconds())
        counted[key] = (failures, limit)
    if attempt.wait:
        session.rollback()
        return attempt
    for key, (failures, limit) in counted.items():
        delay = delay_after(failures, limit, settings)
        until = now + timedelta(seconds=delay) if delay else None
        if until is not None:
            session.execute(
                update(SignInThrottle).where(SignInThrottle.key == key).values(blocked_until=until)
            )
        attempt.blocks_set[key] = until
    session.commit()
    return attempt


def succeeded(session: Session, attempt: Attempt) -> None:
    """The password was right: forget the username's counts (all addresses and this one) and
    take back this attempt's count of the address, with the wait it set, if that still
    stands (in the caller's transaction)."""
    session.execute(
        delete(SignInThrottle).where(
            SignInThrottle.key.in_(
                [user_key(attempt.username), user_at_address_key(attempt.username, attempt.address)]
            )
        )
    )
    key = address_key(attempt.address)
    if key is None or key not in attempt.blocks_set:
        return
    own_block = attempt.blocks_set[key]
    statement = update(SignInThrottle).where(SignInThrottle.key == key, SignInThrottle.failures > 0)
    if own_block is None:
        session.execute(statement.values(failures=SignInThrottle.failures - 1))
    else:
        # Our count set this wait, so no attempt was counted under the key since (each was
        # refused by it) unless the wait had already run out; only then is it another's.
        session.execute(
            statement.values(
                failures=SignInThrottle.failures - 1,
                blocked_until=case(
                    (SignInThrottle.blocked_until == own_block, None),
                    else_=SignInThrottle.blocked_until,
                ),
            )
        )
    session.execute(
        delete(SignInThrottle).where(SignInThrottle.key == key, SignInThrottle.failures <= 0)
    )
