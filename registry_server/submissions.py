"""Receiving messages: check them, store each with its receipt in one transaction, deduplicate.

Idempotency rests on the UNIQUE constraint on `messages.idempotency_key`, not on a prior
lookup: two processes racing with the same key both try to insert, one wins, and the loser
re-reads the winner's row and answers as a replay (or a conflict if the bodies differ).

A batch (`submit_batch`) answers every item exactly as `submit` would have answered it alone,
as if the items had been sent one after the other. It looks the keys up once, validates, and
stores every new message in one transaction; if that transaction meets a concurrent writer
(a UNIQUE violation), it is rolled back and the items go through `submit` one by one.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Table, insert, inspect, or_, select, tuple_, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.forms import (
    Catalogue,
    FormDefinition,
    canonical_body,
    transfer_flags,
    validate,
)
from registry_server.accounts import Principal
from registry_server.models import Base, Message, Receipt, Reminder, utcnow
from registry_server.schemas import MessageBody
from registry_server.settings import MAX_BODY_BYTES

log = logging.getLogger(__name__)

KEY_HEADER = "Idempotency-Key"
_HEADER = f"The {KEY_HEADER} header"
_ITEM_KEY = "The idempotency_key of this item"


class SubmissionRefused(Exception):
    """A request (or one item of a batch) answered with a 4xx; nothing has been stored."""

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


# Parsing -------------------------------------------------------------------------------------


def parse_idempotency_key(value: object, where: str = _HEADER) -> str:
    """The key as a canonical UUID string, or a 400. `where` names it in the refusal."""
    if not value:
        raise SubmissionRefused(
            400, f"{where} is missing; send a UUID that stays the same on retries."
        )
    try:
        if not isinstance(value, str) or len(value) != 36:
            raise ValueError(value)
        return str(uuid.UUID(value))
    except ValueError:
        raise SubmissionRefused(
            400, f"{where} is not a UUID; send a UUID such as uuid4() makes."
        ) from None


_DUPLICATE_KEYS = "an object has the same key twice"


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        raise ValueError(_DUPLICATE_KEYS)
    return data


def _not_a_number(name: str) -> str:
    return f"{name} is not a JSON number"


def _no_constants(name: str) -> Any:
    raise ValueError(_not_a_number(name))


def _not_json(reason: object) -> SubmissionRefused:
    return SubmissionRefused(
        422, f"The message body is not valid UTF-8 JSON ({reason}); send the message as JSON."
    )


# A message is an object of answers whose repeat groups hold rows: four levels deep. Anything
# much deeper is refused before it reaches code that recurses (json, pydantic, validation),
# which would otherwise fail with a RecursionError: a 500 instead of a sentence.
MAX_DEPTH = 32


def _too_deep() -> SubmissionRefused:
    return SubmissionRefused(
        422,
        f"The message body is nested more than {MAX_DEPTH} levels deep; send an object with "
        "message_id, registry, form, version and values as the form defines them.",
    )


def _deeper_than(value: object, limit: int) -> bool:
    """Whether `value` has lists or objects nested more than `limit` levels (no recursion)."""
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        current, depth = pending.pop()
        children: Iterable[object]
        if isinstance(current, dict):
            children = current.values()
        elif isinstance(current, list):
            children = current
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


def parse_body(raw: bytes) -> dict[str, Any]:
    """The body as a dict of the agreed shape, or a 422 saying what is wrong with it."""
    try:
        data = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_no_duplicate_keys,
            parse_constant=_no_constants,
        )
    except RecursionError:
        raise _too_deep() from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise _not_json(exc) from None
    if _deeper_than(data, MAX_DEPTH):
        raise _too_deep()
    return check_body(data)


def check_body(data: object) -> dict[str, Any]:
    """`data` (decoded JSON) if it has the agreed shape, else a 422 saying what is wrong."""
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


class _Ambiguous(dict):
    """A JSON object that had the same key twice (kept, so only its own item is refused)."""


@dataclass(frozen=True)
class _Constant:
    """NaN, Infinity or -Infinity where the JSON had one (not JSON numbers)."""

    name: str


@dataclass(frozen=True)
class NotJson:
    """Stands for an item's message that `parse_body` would have refused as not JSON (or as
    nested too deeply, when `reason` is None)."""

    reason: str | None

    def refusal(self) -> SubmissionRefused:
        return _too_deep() if self.reason is None else _not_json(self.reason)


def _first_json_problem(value: object) -> str | None:
    """What the strict parser of `parse_body` would have stopped at first, if anything.

    Post-order (children before their object), the order in which json.loads calls its hooks."""
    if isinstance(value, dict):
        for child in value.values():
            problem = _first_json_problem(child)
            if problem:
                return problem
        return _DUPLICATE_KEYS if isinstance(value, _Ambiguous) else None
    if isinstance(value, list):
        for child in value:
            problem = _first_json_problem(child)
            if problem:
                return problem
        return None
    if isinstance(value, _Constant):
        return _not_a_number(value.name)
    return None


_ITEM_FIELDS = frozenset({"idempotency_key", "message"})


def _bad_batch(detail: str) -> SubmissionRefused:
    return SubmissionRefused(
        400,
        f'{detail} Send {{"items": [{{"idempotency_key": <uuid>, "message": <message>}}, ...]}}.',
    )


def parse_batch(raw: bytes, max_items: int) -> list[dict[str, Any]]:
    """The items of a batch request, or a 400 for the request as a whole.

    A message that is not strict JSON (a duplicate key, NaN) refuses only its own item: its
    `message` is replaced by a `NotJson` for `submit_batch` to answer with a 422."""
    problems: list[object] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        data = dict(items)
        if len(data) != len(items):
            problems.append(items)
            return _Ambiguous(data)
        return data

    def constant(name: str) -> _Constant:
        problems.append(name)
        return _Constant(name)

    try:
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=pairs, parse_constant=constant)
    except RecursionError:
        raise _bad_batch(
            f"The request body is nested too deeply (a message may be {MAX_DEPTH} levels deep)."
        ) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad_batch(f"The request body is not valid UTF-8 JSON ({exc}).") from None
    if (
        not isinstance(data, dict)
        or isinstance(data, _Ambiguous)
        or set(data) != {"items"}
        or not isinstance(data["items"], list)
    ):
        raise _bad_batch("The request body must be an object with one key, items.")
    items: list[Any] = data["items"]
    if not items:
        raise _bad_batch("The batch has no items.")
    if len(items) > max_items:
        raise _bad_batch(
            f"The batch has {len(items)} items; the server takes at most {max_items} in one "
            "request. Send the rest in further requests."
        )
    for index, item in enumerate(items):
        if (
            not isinstance(item, dict)
            or isinstance(item, _Ambiguous)
            or not set(item) <= (_ITEM_FIELDS)
        ):
            raise _bad_batch(
                f"items[{index}] must be an object with only idempotency_key and message."
            )
    for item in items:
        # Depth first: _first_json_problem recurses.
        if _deeper_than(item.get("message"), MAX_DEPTH):
            item["message"] = NotJson(None)
        elif problems:  # rare: find the items they are in
            problem = _first_json_problem(item.get("message"))
            if problem:
                item["message"] = NotJson(problem)
    return items


# Checking and storing ------------------------------------------------------------------------


def _canonical_and_sha(body: object) -> tuple[bytes, str]:
    # body_sha256(body) is exactly this; computed here from the bytes we store anyway.
    canonical = canonical_body(body)  # type: ignore[arg-type]
    return canonical, hashlib.sha256(canonical).hexdigest()


def _replay_or_conflict(
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
    return _replay_or_conflict(
        existing.body_sha256, existing.unit_id, existing.receipt.to_dict(), sha, principal
    )


def _already_received() -> SubmissionRefused:
    return SubmissionRefused(
        409,
        f"This message was already received under another {KEY_HEADER}; it is not stored "
        "twice. Look for its receipt.",
    )


def _find_by_key(session: Session, key: str) -> Message | None:
    return session.scalar(select(Message).where(Message.idempotency_key == key))


def _checked(
    catalogue: Catalogue, body: dict[str, Any], today: datetime.date
) -> tuple[FormDefinition, bool]:
    """The message's definition and its NOPHO-Care flag, or a 422 with its issues."""
    definition = _accepted_definition(catalogue, body, today)
    errors = [i for i in validate(definition, body["values"], today) if i.severity == "error"]
    if errors:
        raise SubmissionRefused(
            422,
            f"The message has {len(errors)} problem(s) in its fields; correct the marked fields "
            "and send it again.",
            issues=[issue.to_dict() for issue in errors],
        )
    # transfer_flags() is False for every target a form does not declare; most forms declare
    # none, and skipping it saves a second pass over the answers.
    nopho_care = (
        "nopho_care" in definition.transfer
        and transfer_flags(definition, body["values"]).get("nopho_care") is True
    )
    return definition, nopho_care


@dataclass
class _New:
    """A checked message ready to insert: its rows and its receipt."""

    message: dict[str, Any]
    receipt: dict[str, Any]
    reminder: tuple[str, str, str] | None

    def receipt_out(self) -> dict:
        # Receipt.to_dict only reads attributes: the one definition of a receipt's JSON,
        # without the cost of an ORM instance per message.
        return Receipt.to_dict(SimpleNamespace(**self.receipt))  # type: ignore[arg-type]


def _new(
    principal: Principal,
    body: dict[str, Any],
    canonical: bytes,
    sha: str,
    key: str,
    now: datetime.datetime,
    *,
    nopho_care: bool,
) -> _New:
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
    }
    # A message for a patient answers the unit's open reminders for that form.
    patient_id = body["values"].get("patient_id")
    reminder = None
    if isinstance(patient_id, str) and patient_id:
        reminder = (body["registry"], body["form"], patient_id)
    return _New(message, receipt, reminder)


def _column_names(model: type[Base]) -> dict[str, str]:
    """{attribute name: column name}; they differ where a column is named "registry"."""
    return {attr.key: attr.columns[0].name for attr in inspect(model).column_attrs}


_MESSAGES: Table = Message.__table__  # type: ignore[assignment]
_RECEIPTS: Table = Receipt.__table__  # type: ignore[assignment]
_MESSAGE_COLUMNS = _column_names(Message)
_RECEIPT_COLUMNS = _column_names(Receipt)


def _row(columns: dict[str, str], values: dict[str, Any]) -> dict[str, Any]:
    return {columns[name]: value for name, value in values.items()}


def _insert(session: Session, unit_id: int, new: Sequence[_New], now: datetime.datetime) -> None:
    """Every message, then every receipt, then the reminders they answer: in the caller's
    transaction. Messages go first, so a duplicate key fails before anything else is written."""
    # Inserted in key order: two batches sharing keys then wait for each other instead of
    # deadlocking on PostgreSQL.
    ordered = sorted(new, key=lambda n: n.message["idempotency_key"])
    # Core inserts (one multi-row INSERT each): no ORM bookkeeping per row.
    session.execute(insert(_MESSAGES), [_row(_MESSAGE_COLUMNS, n.message) for n in ordered])
    session.execute(insert(_RECEIPTS), [_row(_RECEIPT_COLUMNS, n.receipt) for n in ordered])
    answered = {n.reminder for n in new if n.reminder is not None}
    if answered:
        session.execute(
            update(Reminder)
            .where(
                Reminder.unit_id == unit_id,
                Reminder.resolved_at.is_(None),
                tuple_(Reminder.registry_code, Reminder.form, Reminder.patient_id).in_(
                    sorted(answered)
                ),
            )
            .values(resolved_at=now)
            .execution_options(synchronize_session=False)
        )


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
    canonical, sha = _canonical_and_sha(body)
    with session_factory() as session:
        existing = _find_by_key(session, key)
        if existing is not None:
            return _replay_of(existing, sha, principal)

    definition, nopho_care = _checked(catalogue, body, today)

    now = utcnow()
    new = _new(principal, body, canonical, sha, key, now, nopho_care=nopho_care)
    with session_factory() as session:
        try:
            _insert(session, principal.unit_id, [new], now)
            session.commit()
        except IntegrityError:
            session.rollback()
            existing = _find_by_key(session, key)
            if existing is not None:
                return _replay_of(existing, sha, principal)
            if session.scalar(select(Message.id).where(Message.message_id == body["message_id"])):
                raise _already_received() from None
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


# Batches -------------------------------------------------------------------------------------


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
    max_body_bytes: int = MAX_BODY_BYTES,
) -> list[dict[str, Any]]:
    """One result per item of `parse_batch(...)`, in order, each what `submit` (and the
    POST /messages route around it) would have answered for the item alone, as if the items
    had been sent one after the other.

    A result is {"idempotency_key", "status", "receipt", "detail", "issues"} (plus
    "latest_version" when a form version is no longer accepted)."""
    today = today or datetime.date.today()
    results: list[dict[str, Any] | None] = [None] * len(items)
    checked: list[_Item] = []
    for index, item in enumerate(items):
        raw_key = item.get("idempotency_key")
        echo = raw_key if isinstance(raw_key, str) else None
        message = item.get("message")
        try:
            # The order of POST /messages: body size, then key, then the body's shape.
            if isinstance(message, NotJson):
                canonical, sha = b"", ""
            else:
                canonical, sha = _canonical_and_sha(message)
                if len(canonical) > max_body_bytes:
                    raise SubmissionRefused(
                        413,
                        f"This message is larger than the server accepts "
                        f"({max_body_bytes // 1024} KiB); make it smaller.",
                    )
            key = parse_idempotency_key(raw_key, _ITEM_KEY)
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
        _submit_checked(session_factory, catalogue, principal, checked, today, results)
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def _submit_checked(
    session_factory: sessionmaker[Session],
    catalogue: Catalogue,
    principal: Principal,
    checked: list[_Item],
    today: datetime.date,
    results: list[dict[str, Any] | None],
) -> None:
    with session_factory() as session:
        by_key, message_ids = _stored(
            session, {i.key for i in checked}, {i.body["message_id"] for i in checked}
        )

    now = utcnow()
    new: list[_New] = []
    for item in checked:
        try:
            seen = by_key.get(item.key)
            if seen is not None:
                results[item.index] = _accepted(
                    item.echo, _replay_or_conflict(*seen, item.sha, principal)
                )
                continue
            _definition, nopho_care = _checked(catalogue, item.body, today)
            if item.body["message_id"] in message_ids:
                raise _already_received()
        except SubmissionRefused as refused:
            results[item.index] = _refused(item.echo, refused)
            continue
        stored = _new(
            principal, item.body, item.canonical, item.sha, item.key, now, nopho_care=nopho_care
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
            _insert(session, principal.unit_id, new, now)
    except DBAPIError as error:
        if not _retry_alone(error):
            raise
        # Someone stored one of these keys or message ids since the lookup: nothing of this
        # batch was stored; let the UNIQUE constraints settle each item on its own.
        log.info("A batch met a concurrent submission; storing its items one by one")
        _one_by_one(session_factory, catalogue, principal, checked, today, results)
        return
    log.info("Received %d message(s) in a batch from unit %s", len(new), principal.unit_id)


def _one_by_one(
    session_factory: sessionmaker[Session],
    catalogue: Catalogue,
    principal: Principal,
    checked: list[_Item],
    today: datetime.date,
    results: list[dict[str, Any] | None],
) -> None:
    for item in checked:
        try:
            accepted = submit(session_factory, catalogue, principal, item.body, item.key, today)
        except SubmissionRefused as refused:
            results[item.index] = _refused(item.echo, refused)
        else:
            results[item.index] = _accepted(item.echo, accepted)
