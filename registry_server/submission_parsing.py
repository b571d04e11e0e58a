"""Reading what a client sends: the Idempotency-Key, one message body, a batch request.

Every refusal is a `SubmissionRefused` with a 4xx status and a sentence that says what is wrong
and what to do; nothing here touches the database.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from registry_server.schemas import MessageBody

KEY_HEADER = "Idempotency-Key"
_HEADER = f"The {KEY_HEADER} header"
ITEM_KEY = "The idempotency_key of this item"


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
    if not _is_canonical_uuid(data["message_id"]):
        raise SubmissionRefused(
            422, "message_id is not a lower-case UUID; give each message a uuid4 when it is made."
        )
    reminder_id = data.get("reminder_id")
    if reminder_id is not None and not _is_canonical_uuid(reminder_id):
        raise SubmissionRefused(
            422,
            "reminder_id is not a lower-case UUID; send the id of the reminder exactly as "
            "GET /reminders gave it, or leave it out.",
        )
    return data


def _is_canonical_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


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
