"""What the message repository hands out: a message's state and record, a claimed message,
and the outcomes of a send attempt (see local_cache.messages for the state diagram)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class MessageState(enum.StrEnum):
    DRAFT = "draft"
    QUEUED = "queued"
    SENDING = "sending"
    RECEIPTED = "receipted"
    REJECTED = "rejected"


@dataclass(frozen=True)
class MessageRecord:
    id: str
    owner: str
    registry: str
    form: str
    form_version: int
    state: MessageState
    values: dict
    body: dict | None  # frozen at submit: exactly what is sent
    idempotency_key: str | None
    server_issues: list[dict]
    last_error: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    queued_at: datetime | None
    receipt_id: str | None
    # What moves to newer form versions changed, oldest first, until the user has checked it
    # (see MessageRepository.migrate_draft); plain dicts: the cache knows nothing of forms.
    migration_changes: list[dict] = field(default_factory=list)
    last_attempt_at: datetime | None = None  # when the last send attempt was settled
    reminder_id: str | None = None  # the reminder the draft was made from (sent in the body)


# --- what a send attempt came to, per message (MessageRepository.record_outcomes) --------------


@dataclass(frozen=True)
class Receipt:
    """The server has the message: sending -> receipted, the receipt stored with it."""

    message_id: str
    receipt: dict
    # What checking its signature found (desktop_app.receipt_signature.Verdict); None:
    # not checked.
    verdict: str | None = None


@dataclass(frozen=True)
class ReturnToDraft:
    """The author must change something (422, or an item's 400/413): sending -> draft."""

    message_id: str
    issues: list[dict]
    error: str


@dataclass(frozen=True)
class Quarantine:
    """Never sent again by itself (409, or the server refused the whole request): -> rejected."""

    message_id: str
    error: str


@dataclass(frozen=True)
class RetryLater:
    """Network failure, 5xx, 408 or 429: sending -> queued, one more attempt counted."""

    message_id: str
    error: str


Outcome = Receipt | ReturnToDraft | Quarantine | RetryLater

OUTCOME_ACTIONS: dict[type, str] = {
    Receipt: "marked as received",
    ReturnToDraft: "returned for correction",
    Quarantine: "marked as rejected",
    RetryLater: "put back in the outbox",
}


@dataclass(frozen=True)
class OutgoingMessage:
    """A claimed message as the sync engine needs it: only what is sent (values not decoded)."""

    id: str
    idempotency_key: str
    body: dict
