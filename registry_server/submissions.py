"""Receiving a message: check it, store it with its receipt in one transaction, deduplicate.

Idempotency rests on the UNIQUE constraint on `messages.idempotency_key`, not on a prior
lookup: two processes racing with the same key both try to insert, one wins, and the loser
re-reads the winner's row and answers as a replay (or a conflict if the bodies differ).
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.forms import (
    Catalogue,
    FormDefinition,
    body_sha256,
    canonical_body,
    transfer_flags,
    validate,
)
from registry_server.accounts import Principal
from registry_server.models import Message, Receipt, Reminder, utcnow
from registry_server.schemas import MessageBody

log = logging.getLogger(__name__)

KEY_HEADER = "Idempotency-Key"


class SubmissionRefused(Exception):
    """A request answered with a 4xx; nothing has been stored."""

    def __init__(
        self,
        status: int,
        detail: str,
        issues: list[dict] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.issues = issues
        self.extra = dict(extra or {})

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {"detail": self.detail, **self.extra}
        if self.issues is not None:
            data["issues"] = self.issues
        return data


@dataclass(frozen=True)
class Accepted:
    receipt: dict = field(default_factory=dict)
    replay: bool = False


def parse_idempotency_key(value: str | None) -> str:
    if not value:
        raise SubmissionRefused(
            400, f"The {KEY_HEADER} header is missing; send a UUID that stays the same on retries."
        )
    try:
        if len(value) != 36:
            raise ValueError(value)
        return str(uuid.UUID(value))
    except ValueError:
        raise SubmissionRefused(
            400, f"The {KEY_HEADER} header is not a UUID; send a UUID such as uuid4() makes."
        ) from None


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        raise ValueError("an object has the same key twice")
    return data


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_body(raw: bytes) -> dict[str, Any]:
    """The body as a dict of the agreed shape, or a 422 saying what is wrong with it."""
    try:
        data = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_no_duplicate_keys,
            parse_constant=_no_constants,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise SubmissionRefused(
            422, f"The message body is not valid UTF-8 JSON ({exc}); send the message as JSON."
        ) from None
    if not isinstance(data, dict):
        raise SubmissionRefused(
            422,
            "The message body must be a JSON object with message_id, registry, form, "
            "version and values.",
        )
    try:
        MessageBody.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
            for err in exc.errors()
        )
        raise SubmissionRefused(
            422,
            f"The message body does not have the agreed shape ({problems}). Send an object with "
            "message_id, registry, form, version and values.",
        ) from None
    message_id = data["message_id"]
    try:
        canonical = str(uuid.UUID(message_id))
    except ValueError:
        canonical = None
    if canonical != message_id:
        raise SubmissionRefused(
            422, "message_id is not a lower-case UUID; give each message a uuid4 when it is made."
        )
    return data


def _replay_or_conflict(existing: Message, sha: str, principal: Principal) -> Accepted:
    # Another unit's key answers like any other misuse of a key: say nothing about its message.
    if existing.body_sha256 != sha or existing.unit_id != principal.unit_id:
        raise SubmissionRefused(
            409,
            f"This {KEY_HEADER} was already used for a different message; a new message needs "
            "a new key, and a retry must send exactly the same body.",
        )
    return Accepted(receipt=_receipt_for(existing), replay=True)


def _receipt_for(message: Message) -> dict:
    return message.receipt.to_dict()


def _find_by_key(session: Session, key: str) -> Message | None:
    return session.scalar(select(Message).where(Message.idempotency_key == key))


def submit(
    session_factory: sessionmaker[Session],
    catalogue: Catalogue,
    principal: Principal,
    body: dict[str, Any],
    key: str,
    today: datetime.date | None = None,
) -> Accepted:
    """Store `body` (already shape-checked by `parse_body`) and return its receipt.

    `today` is the server's date (settings.today()): it decides which form versions are still
    accepted and which dates are in the future."""
    today = today or datetime.date.today()
    sha = body_sha256(body)
    with session_factory() as session:
        existing = _find_by_key(session, key)
        if existing is not None:
            return _replay_or_conflict(existing, sha, principal)

    definition = _accepted_definition(catalogue, body, today)
    errors = [i for i in validate(definition, body["values"], today) if i.severity == "error"]
    if errors:
        raise SubmissionRefused(
            422,
            f"The message has {len(errors)} problem(s) in its fields; correct the marked fields "
            "and send it again.",
            issues=[issue.to_dict() for issue in errors],
        )
    nopho_care = transfer_flags(definition, body["values"]).get("nopho_care") is True

    with session_factory() as session:
        try:
            receipt = _store(session, principal, body, sha, key, nopho_care=nopho_care)
            session.commit()
        except IntegrityError:
            session.rollback()
            existing = _find_by_key(session, key)
            if existing is not None:
                return _replay_or_conflict(existing, sha, principal)
            if session.scalar(select(Message.id).where(Message.message_id == body["message_id"])):
                raise SubmissionRefused(
                    409,
                    "This message was already received under another "
                    f"{KEY_HEADER}; it is not stored twice. Look for its receipt.",
                ) from None
            raise
    log.info(
        "Received message %s (%s/%s v%s) from unit %s",
        body["message_id"],
        definition.registry,
        definition.form,
        definition.version,
        principal.unit_id,
    )
    return Accepted(receipt=receipt, replay=False)


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


def _store(
    session: Session,
    principal: Principal,
    body: dict[str, Any],
    sha: str,
    key: str,
    *,
    nopho_care: bool,
) -> dict:
    now = utcnow()
    message = Message(
        message_id=body["message_id"],
        unit_id=principal.unit_id,
        username=principal.username,
        registry_code=body["registry"],
        form=body["form"],
        version=body["version"],
        body=canonical_body(body).decode("utf-8"),
        body_sha256=sha,
        idempotency_key=key,
        received_at=now,
        nopho_care_transfer=nopho_care,
    )
    session.add(message)
    # Flush the message alone first: a duplicate key fails here, before anything else is written.
    session.flush()
    receipt = Receipt(
        receipt_id=str(uuid.uuid4()),
        message_id=message.message_id,
        registry_code=message.registry_code,
        form=message.form,
        version=message.version,
        received_at=now,
        body_sha256=sha,
        unit_id=principal.unit_id,
    )
    session.add(receipt)
    patient_id = body["values"].get("patient_id")
    if isinstance(patient_id, str) and patient_id:
        session.execute(
            update(Reminder)
            .where(
                Reminder.unit_id == principal.unit_id,
                Reminder.registry_code == message.registry_code,
                Reminder.form == message.form,
                Reminder.patient_id == patient_id,
                Reminder.resolved_at.is_(None),
            )
            .values(resolved_at=now)
        )
    session.flush()
    return receipt.to_dict()
