"""Receiving messages: check them, store each with its signed receipt in one transaction,
deduplicate, and resolve the reminders they answer.

Idempotency rests on the UNIQUE constraint on `messages.idempotency_key`, not on a prior
lookup: two processes racing with the same key both try to insert, one wins, and the loser
re-reads the winner's row and answers as a replay (or a conflict if the bodies differ).
Batches (`registry_server.submission_batch`) reuse the checking and storing below.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Table, insert, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.forms import (
    Catalogue,
    FormDefinition,
    canonical_body,
    transfer_flags,
    validate,
)
from desktop_app.receipt_signature import SigningKey
from registry_server import audit
from registry_server.models import Base, Message, Receipt, utcnow
from registry_server.reminders.resolution import Answering, resolve_answered
from registry_server.reporting_unit import check_reporting_unit
from registry_server.submission_parsing import (
    KEY_HEADER,
    MAX_DEPTH,
    SubmissionRefused,
    parse_batch,
    parse_body,
    parse_idempotency_key,
)
from registry_server.tokens import Principal

__all__ = [
    "KEY_HEADER",
    "MAX_DEPTH",
    "Accepted",
    "SubmissionRefused",
    "parse_batch",
    "parse_body",
    "parse_idempotency_key",
    "submit",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Accepted:
    receipt: dict = field(default_factory=dict)
    replay: bool = False


def canonical_and_sha(body: object) -> tuple[bytes, str]:
    # body_sha256(body) is exactly this; computed here from the bytes we store anyway.
    try:
        canonical = canonical_body(body)  # type: ignore[arg-type]
    except UnicodeEncodeError:
        raise SubmissionRefused(
            422,
            "The message contains text that is not valid Unicode (a lone surrogate such as "
            "\\ud800); send the text as it was typed.",
        ) from None
    except ValueError:  # a number JSON parsed as infinity (1e999)
        raise SubmissionRefused(
            422,
            "The message contains a number too large to store; correct the field and send "
            "it again.",
        ) from None
    return canonical, hashlib.sha256(canonical).hexdigest()


def replay_or_conflict(
    stored_sha: str, stored_unit: int, receipt: dict, sha: str, principal: Principal
) -> Accepted:
    # Another unit's key answers like any other misuse of a key: say nothing about its message.
    if stored_sha != sha or stored_unit != principal.unit_id:
        raise SubmissionRefused(
            409,
            f"This {KEY_HEADER} was already used for a different message; a new message needs "
            "a new key, and a retry must send exactly the same body.",
        )
    return Accepted(receipt=receipt, replay=True)


def _replay_of(existing: Message, sha: str, principal: Principal) -> Accepted:
    return replay_or_conflict(
        existing.body_sha256, existing.unit_id, existing.receipt.to_dict(), sha, principal
    )


def already_received() -> SubmissionRefused:
    return SubmissionRefused(
        409,
        f"This message was already received under another {KEY_HEADER}; it is not stored "
        "twice. Look for its receipt.",
    )


def _find_by_key(session: Session, key: str) -> Message | None:
    return session.scalar(select(Message).where(Message.idempotency_key == key))


def check_message(
    catalogue: Catalogue,
    body: dict[str, Any],
    today: datetime.date,
    principal: Principal | None = None,
    *,
    check_unit: bool = True,
) -> tuple[FormDefinition, bool]:
    """The message's definition and its NOPHO-Care flag, or a 422 with its issues. With
    `check_unit`, it must report for `principal`'s unit (registry_server.reporting_unit)."""
    definition = _accepted_definition(catalogue, body, today)
    errors = [i for i in validate(definition, body["values"], today) if i.severity == "error"]
    if errors:
        raise SubmissionRefused(
            422,
            f"The message has {len(errors)} problem(s) in its fields; correct the marked fields "
            "and send it again.",
            issues=[issue.to_dict() for issue in errors],
        )
    if check_unit and principal is not None:
        check_reporting_unit(definition, body["values"], principal)
    # transfer_flags() is False for every target a form does not declare; most forms declare
    # none, and skipping it saves a second pass over the answers.
    nopho_care = (
        "nopho_care" in definition.transfer
        and transfer_flags(definition, body["values"]).get("nopho_care") is True
    )
    return definition, nopho_care


@dataclass
class NewMessage:
    """A checked message ready to insert: its rows and its signed receipt."""

    message: dict[str, Any]
    receipt: dict[str, Any]

    def receipt_out(self) -> dict:
        # Receipt.to_dict only reads attributes: the one definition of a receipt's JSON,
        # without the cost of an ORM instance per message.
        return Receipt.to_dict(SimpleNamespace(**self.receipt))  # type: ignore[arg-type]


def new_message(
    principal: Principal,
    body: dict[str, Any],
    canonical: bytes,
    sha: str,
    key: str,
    now: datetime.datetime,
    *,
    nopho_care: bool,
    signer: SigningKey,
) -> NewMessage:
    patient_id = body["values"].get("patient_id")
    message = {
        "message_id": body["message_id"],
        "unit_id": principal.unit_id,
        "username": principal.username,
        "registry_code": body["registry"],
        "form": body["form"],
        "version": body["version"],
        "body": canonical.decode("utf-8"),
        "body_sha256": sha,
        "idempotency_key": key,
        "received_at": now,
        "nopho_care_transfer": nopho_care,
        # The form has already checked it: a valid number, or None (no Norwegian number).
        "patient_id": patient_id if isinstance(patient_id, str) and patient_id else None,
        "reminder_id": body.get("reminder_id"),
    }
    receipt = {
        "receipt_id": str(uuid.uuid4()),
        "message_id": body["message_id"],
        "registry_code": body["registry"],
        "form": body["form"],
        "version": body["version"],
        "received_at": now,
        "body_sha256": sha,
        "unit_id": principal.unit_id,
        "key_id": None,
        "signature": None,
    }
    new = NewMessage(message, receipt)
    signed = signer.sign(new.receipt_out())
    receipt["key_id"], receipt["signature"] = signed["key_id"], signed["signature"]
    return new


def _column_names(model: type[Base]) -> dict[str, str]:
    """{attribute name: column name}; they differ where a column is named "registry"."""
    return {attr.key: attr.columns[0].name for attr in inspect(model).column_attrs}


_MESSAGES: Table = Message.__table__  # type: ignore[assignment]
_RECEIPTS: Table = Receipt.__table__  # type: ignore[assignment]
_MESSAGE_COLUMNS = _column_names(Message)
_RECEIPT_COLUMNS = _column_names(Receipt)


def _row(columns: dict[str, str], values: dict[str, Any]) -> dict[str, Any]:
    return {columns[name]: value for name, value in values.items()}


def insert_new(
    session: Session,
    unit_id: int,
    new: Sequence[NewMessage],
    now: datetime.datetime,
    address: str | None = None,
) -> None:
    """Every message, then every receipt, then the reminders they answer, then their audit
    entries: in the caller's transaction. Messages go first, so a duplicate key fails before
    anything else is written."""
    # Inserted in key order: two batches sharing keys then wait for each other instead of
    # deadlocking on PostgreSQL.
    ordered = sorted(new, key=lambda n: n.message["idempotency_key"])
    # Core inserts (one multi-row INSERT each): no ORM bookkeeping per row.
    session.execute(insert(_MESSAGES), [_row(_MESSAGE_COLUMNS, n.message) for n in ordered])
    session.execute(insert(_RECEIPTS), [_row(_RECEIPT_COLUMNS, n.receipt) for n in ordered])
    resolve_answered(
        session,
        [
            Answering(
                unit_id=unit_id,
                registry=n.message["registry_code"],
                form=n.message["form"],
                patient_id=n.message["patient_id"],
                reminder_id=n.message["reminder_id"],
                message_id=n.message["message_id"],
                received_at=now,
            )
            for n in ordered
        ],
    )
    audit.record(
        session,
        [
            audit.entry(
                audit.MESSAGE_RECEIVED,
                username=n.message["username"],
                unit_id=unit_id,
                address=address,
                message_id=n.message["message_id"],
                body_sha256=n.message["body_sha256"],
                status=201,
                at=now,
            )
            for n in ordered
        ],
    )


def submit(
    session_factory: sessionmaker[Session],
    catalogue: Catalogue,
    principal: Principal,
    body: dict[str, Any],
    key: str,
    today: datetime.date | None = None,
    *,
    signer: SigningKey,
    check_unit: bool = True,
) -> Accepted:
    """Store `body` (already shape-checked by `parse_body`) and return its receipt, signed
    with `signer`. `check_unit`: see `check_message`.

    `today` is the server's date (settings.today()): it decides which form versions are still
    accepted and which dates are in the future."""
    today = today or datetime.date.today()
    canonical, sha = canonical_and_sha(body)
    with session_factory() as session:
        existing = _find_by_key(session, key)
        if existing is not None:
            return _replay_of(existing, sha, principal)

    definition, nopho_care = check_message(catalogue, body, today, principal, check_unit=check_unit)

    now = utcnow()
    new = new_message(
        principal, body, canonical, sha, key, now, nopho_care=nopho_care, signer=signer
    )
    with session_factory() as session:
        try:
            insert_new(session, principal.unit_id, [new], now, principal.address)
            session.commit()
        except IntegrityError:
            session.rollback()
            existing = _find_by_key(session, key)
            if existing is not None:
                return _replay_of(existing, sha, principal)
            if session.scalar(select(Message.id).where(Message.message_id == body["message_id"])):
                raise already_received() from None
            raise
    log.info(
        "Received message %s (%s/%s v%s) from unit %s",
        body["message_id"],
        definition.registry,
        definition.form,
        definition.version,
        principal.unit_id,
    )
    return Accepted(receipt=new.receipt_out(), replay=False)


def _accepted_definition(
    catalogue: Catalogue, body: dict[str, Any], today: datetime.date
) -> FormDefinition:
    """The definition the message was filled in on, if the server still takes that version."""
    registry, form, version = body["registry"], body["form"], body["version"]
    try:
        definition = catalogue.get(registry, form, version)
    except KeyError:
        raise SubmissionRefused(
            422,
            f"The server has no form {registry}/{form} version {version}; fetch the form "
            "catalogue and fill the message in on a form it lists.",
            issues=[],
        ) from None
    if not catalogue.accepts(registry, form, version, today):
        latest = catalogue.latest(registry, form).version
        until = catalogue.accepted_until(registry, form, version)
        since = f" after {until.isoformat()}" if until is not None else ""
        raise SubmissionRefused(
            422,
            f"Form {registry}/{form} version {version} is no longer accepted{since}; use "
            f"version {latest}: open the draft again so it moves to version {latest}, check "
            "it and send it again.",
            issues=[],
            extra={"latest_version": latest},
        )
    return definition
