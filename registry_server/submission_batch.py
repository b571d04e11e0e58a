"""Batches of messages (POST /messages/batch): each item answered exactly as `submit` would
have answered it alone, as if the items had been sent one after the other.

It looks the keys up once, validates, and stores every new message in one transaction; if that
transaction meets a concurrent writer (a UNIQUE violation), it is rolled back and the items go
through `submit` one by one.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.forms import Catalogue
from desktop_app.receipt_signature import SigningKey
from registry_server.models import Message, Receipt, utcnow
from registry_server.settings import MAX_BODY_BYTES
from registry_server.submission_parsing import (
    ITEM_KEY,
    NotJson,
    SubmissionRefused,
    check_body,
    parse_idempotency_key,
)
from registry_server.submissions import (
    Accepted,
    NewMessage,
    already_received,
    canonical_and_sha,
    check_message,
    insert_new,
    new_message,
    replay_or_conflict,
    submit,
)
from registry_server.tokens import Principal

log = logging.getLogger(__name__)

_ECHOABLE = re.compile(r"[0-9A-Za-z-]{1,64}")


def _result(key: str | None, status: int, receipt: dict | None = None) -> dict[str, Any]:
    return {
        "idempotency_key": key,
        "status": status,
        "receipt": receipt,
        "detail": None,
        "issues": None,
    }


def _refused(key: str | None, refused: SubmissionRefused) -> dict[str, Any]:
    return {
        **_result(key, refused.status),
        **refused.extra,
        "detail": refused.detail,
        "issues": refused.issues,
    }


def _accepted(key: str, accepted: Accepted) -> dict[str, Any]:
    return _result(key, 200 if accepted.replay else 201, accepted.receipt)


@dataclass
class _Item:
    """A batch item whose key and message shape are fine."""

    index: int
    key: str  # canonical: the one stored
    echo: str  # as sent: the one answered
    body: dict[str, Any]
    canonical: bytes
    sha: str


def _stored(
    session: Session, keys: Iterable[str], message_ids: Iterable[str]
) -> tuple[dict[str, tuple[str, int, dict]], set[str]]:
    """In one query: {key: (sha, unit, receipt)} of stored keys, and the stored message ids."""
    rows = session.execute(
        select(
            Message.idempotency_key,
            Message.message_id,
            Message.body_sha256,
            Message.unit_id,
            Receipt,
        )
        .join(Receipt, Receipt.message_id == Message.message_id)
        .where(
            or_(
                Message.idempotency_key.in_(list(keys)),
                Message.message_id.in_(list(message_ids)),
            )
        )
    ).all()
    by_key = {row[0]: (row[2], row[3], row[4].to_dict()) for row in rows}
    return by_key, {row[1] for row in rows}


def _retry_alone(error: DBAPIError) -> bool:
    """A write that met a concurrent one: a UNIQUE violation, or a PostgreSQL deadlock or
    serialization failure. `submit` item by item settles each race on its own."""
    if isinstance(error, IntegrityError):
        return True
    return getattr(error.orig, "sqlstate", None) in {"40P01", "40001"}


def submit_batch(
    session_factory: sessionmaker[Session],
    catalogue: Catalogue,
    principal: Principal,
    items: Sequence[dict[str, Any]],
    today: datetime.date | None = None,
    *,
    signer: SigningKey,
    max_body_bytes: int = MAX_BODY_BYTES,
    check_unit: bool = True,
) -> list[dict[str, Any]]:
    """One result per item of `parse_batch(...)`, in order, each what `submit` (and the
    POST /messages route around it) would have answered for the item alone, as if the items
    had been sent one after the other.

    A result is {"idempotency_key", "status", "receipt", "detail", "issues"} (plus
    "latest_version" when a form version is no longer accepted). `check_unit`: see
    `submissions.check_message`; a message for another unit refuses its own item only."""
    today = today or datetime.date.today()
    results: list[dict[str, Any] | None] = [None] * len(items)
    checked: list[_Item] = []
    for index, item in enumerate(items):
        raw_key = item.get("idempotency_key")
        # Echoed so the client can match the result, but only what could be a key: a lone
        # surrogate could not even be written into the answer, a NUL has no business there.
        echo = raw_key if isinstance(raw_key, str) and _ECHOABLE.fullmatch(raw_key) else None
        message = item.get("message")
        try:
            # The order of POST /messages: body size, then key, then the body's shape.
            if isinstance(message, NotJson):
                canonical, sha = b"", ""
            else:
                canonical, sha = canonical_and_sha(message)
                if len(canonical) > max_body_bytes:
                    raise SubmissionRefused(
                        413,
                        f"This message is larger than the server accepts "
                        f"({max_body_bytes // 1024} KiB); make it smaller.",
                    )
            key = parse_idempotency_key(raw_key, ITEM_KEY)
            if isinstance(message, NotJson):
                raise message.refusal()
            body = check_body(message)
        except SubmissionRefused as refused:
            results[index] = _refused(echo, refused)
            continue
        # A key in capitals is the same key as in lower case, but is answered as it was sent:
        # the client matches each result to its item by the key.
        checked.append(_Item(index, key, raw_key, body, canonical, sha))

    if checked:
        _submit_checked(
            session_factory, catalogue, principal, checked, today, results, signer, check_unit
        )
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def _submit_checked(
    session_factory: sessionmaker[Session],
    catalogue: Catalogue,
    principal: Principal,
    checked: list[_Item],
    today: datetime.date,
    results: list[dict[str, Any] | None],
    signer: SigningKey,
    check_unit: bool,
) -> None:
    with session_factory() as session:
        by_key, message_ids = _stored(
            session, {i.key for i in checked}, {i.body["message_id"] for i in checked}
        )

    now = utcnow()
    new: list[NewMessage] = []
    for item in checked:
        try:
            seen = by_key.get(item.key)
            if seen is not None:
                results[item.index] = _accepted(
                    item.echo, replay_or_conflict(*seen, item.sha, principal)
                )
                continue
            _definition, nopho_care = check_message(
                catalogue, item.body, today, principal, check_unit=check_unit
            )
            if item.body["message_id"] in message_ids:
                raise already_received()
        except SubmissionRefused as refused:
            results[item.index] = _refused(item.echo, refused)
            continue
        stored = new_message(
            principal,
            item.body,
            item.canonical,
            item.sha,
            item.key,
            now,
            nopho_care=nopho_care,
            signer=signer,
        )
        receipt = stored.receipt_out()
        new.append(stored)
        # Later items with this key or message id see it as stored (one after the other).
        by_key[item.key] = (item.sha, principal.unit_id, receipt)
        message_ids.add(item.body["message_id"])
        results[item.index] = _result(item.echo, 201, receipt)

    if not new:
        return
    try:
        with session_factory.begin() as session:
            insert_new(session, principal.unit_id, new, now, principal.address)
    except DBAPIError as error:
        if not _retry_alone(error):
            raise
        # Someone stored one of these keys or message ids since the lookup: nothing of this
        # batch was stored; let the UNIQUE constraints settle each item on its own.
        log.info("A batch met a concurrent submission; storing its items one by one")
        _one_by_one(
            session_factory, catalogue, principal, checked, today, results, signer, check_unit
        )
        return
    log.info("Received %d message(s) in a batch from unit %s", len(new), principal.unit_id)


def _one_by_one(
    session_factory: sessionmaker[Session],
    catalogue: Catalogue,
    principal: Principal,
    checked: list[_Item],
    today: datetime.date,
    results: list[dict[str, Any] | None],
    signer: SigningKey,
    check_unit: bool,
) -> None:
    for item in checked:
        try:
            accepted = submit(
                session_factory,
                catalogue,
                principal,
                item.body,
                item.key,
                today,
                signer=signer,
                check_unit=check_unit,
            )
        except SubmissionRefused as refused:
            results[item.index] = _refused(item.echo, refused)
        else:
            results[item.index] = _accepted(item.echo, accepted)
