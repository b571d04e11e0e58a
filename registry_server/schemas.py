"""Request and answer shapes, for the OpenAPI document and for checking requests."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)


class Problem(BaseModel):
    detail: str = Field(description="A plain sentence: what is wrong and what to do.")


def _storable(text: str) -> str:
    # JSON may spell a lone surrogate ("\ud800"), which is no character and cannot be encoded
    # as UTF-8, or NUL, which PostgreSQL refuses in text: a 500 otherwise.
    if "\x00" in text:
        raise ValueError("the text contains a NUL character (\\u0000)")
    if any("\ud800" <= c <= "\udfff" for c in text):
        raise ValueError("the text contains a lone surrogate (\\ud800-\\udfff), not a character")
    return text


# A string of real characters that every database can store.
Text = Annotated[str, AfterValidator(_storable)]


class IssueOut(BaseModel):
    path: str = Field(
        description="Where the issue is: a field id, a repeat group's id, or a field in one "
        "row of a group as `group[0].field` (rows counted from 0)."
    )
    severity: str
    key: str
    params: dict[str, Any]
    message: str = Field(description="The issue in English.")
    text: dict[str, str] | None = Field(
        None, description="A form check's own texts by language (nb, en), when it has them."
    )


class InvalidMessage(Problem):
    issues: list[IssueOut] = []
    latest_version: int | None = Field(
        None, description="Only when the form version is no longer accepted: the one to use."
    )


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Text = Field(min_length=1, max_length=100)
    password: Text = Field(min_length=1, max_length=1000)


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: Text = Field(
        min_length=1,
        max_length=200,
        description="The refresh_token of the last POST /auth/token or /auth/refresh answer; "
        "it can be used once.",
    )


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: Text = Field(min_length=1, max_length=1000)
    new_password: Text = Field(
        min_length=1,
        max_length=1000,
        description="At least the server's minimum length (10 characters unless configured).",
    )


class UnitOut(BaseModel):
    id: int
    name: str
    hospital_code: str
    hospital_name: str
    department: str


class UserOut(BaseModel):
    username: str
    display_name: str
    unit: UnitOut
    escrow_key: str = Field(
        description="base64url (no padding) of 32 random bytes, one per user, the same at every "
        "sign-in and across password changes: the client keeps a second copy of its local "
        "data key wrapped with it, so unsent messages survive a forgotten password."
    )


class TokenResponse(BaseModel):
    access_token: str = Field(description="Send as `Authorization: Bearer <access_token>`.")
    token_type: str = "bearer"
    expires_at: str = Field(description="ISO 8601, UTC: when the access token stops working.")
    refresh_token: str = Field(
        description="For POST /auth/refresh, once; keep it in the OS keyring, never on disk."
    )
    refresh_expires_at: str = Field(description="ISO 8601, UTC.")
    user: UserOut


class FormSummary(BaseModel):
    registry: str
    form: str
    version: int
    title: dict[str, str]
    pathway_step: str
    latest: bool = Field(description="The newest version of this form: new drafts use it.")
    accepted_until: str | None = Field(
        description="YYYY-MM-DD: the last day the server accepts messages on this version; "
        "null while it is accepted without an end date (the latest version)."
    )


class RegistrySummary(BaseModel):
    id: str
    title: dict[str, str]
    national: bool
    forms: list[str] = Field(description="The registry's form ids, in pathway order.")


class FormList(BaseModel):
    forms: list[FormSummary]
    registries: list[RegistrySummary]


class MessageBody(BaseModel):
    """The message a client submits (POST /api/v1/messages). Checked strictly."""

    model_config = ConfigDict(extra="forbid", strict=True)

    message_id: str = Field(description="uuid4 made when the draft was created.")
    registry: str = Field(min_length=1, max_length=50)
    form: str = Field(min_length=1, max_length=50)
    version: int = Field(ge=1)
    values: dict[str, Any] = Field(description="Flat object {field_id: value}.")
    reminder_id: str | None = Field(
        None,
        description="The id of the reminder the message answers, when the draft was made from "
        "one (GET /reminders): it resolves that reminder also for a patient without a "
        "Norwegian identity number.",
    )


class ReceiptOut(BaseModel):
    receipt_id: str
    message_id: str
    registry: str
    form: str
    version: int
    received_at: str = Field(description="ISO 8601, UTC.")
    body_sha256: str = Field(description="Hex SHA-256 of the canonical message body.")
    unit_id: int
    key_id: str | None = Field(description="The receipt key that signed it (GET /receipt-keys).")
    signature: str | None = Field(
        description="Ed25519 signature (base64url, no padding) over the UTF-8 text "
        "RR1|registry|form|version|message_id|receipt_id|received_at|body_sha256|unit_id|key_id."
    )


class ReceiptList(BaseModel):
    receipts: list[ReceiptOut]
    cursor: str = Field(
        description="Pass as `since` next time. It lags behind receipts received in the last "
        "minute, which are returned again then: keep receipts by receipt_id, and stop asking "
        "for more when the cursor does not move."
    )


class ReceiptKeyOut(BaseModel):
    key_id: str = Field(description="First 16 hex digits of the SHA-256 of the raw public key.")
    algorithm: str = Field(description="Ed25519.")
    public_key: str = Field(description="Base64 of the raw 32-byte public key.")
    created_at: str
    retired_at: str | None = Field(description="No new receipts are signed with it since then.")
    current: bool = Field(description="The key new receipts are signed with.")


class ReceiptKeyList(BaseModel):
    keys: list[ReceiptKeyOut]


class ReminderOut(BaseModel):
    id: str
    registry: str
    form: str = Field(description="The form of the message the unit owes.")
    patient_id: str | None = Field(
        description="The patient's identity number; null for a patient without a Norwegian "
        "number (then case_id, and the message made from the reminder carries its id)."
    )
    case_id: str | None = Field(
        None, description="The registry's case id for a patient without a Norwegian number."
    )
    patient_name: str
    reason: str = Field(description="Why, as an English sentence.")
    reason_key: str | None = Field(
        None,
        description="The reason's key in resources/reminder_rules.json: clients word it in "
        "their language with reason_params (null: only the sentence).",
    )
    reason_params: dict[str, Any] = Field(
        default_factory=dict, description="event_date, days, due_days, due_date, event, source."
    )
    rule_id: str | None = Field(None, description="The rule that made it.")
    event_date: str | None = Field(None, description="YYYY-MM-DD: the day the clock started.")
    due_date: str = Field(description="YYYY-MM-DD.")
    overdue: bool = Field(False, description="The due date is before the server's today.")
    created_at: str


class ReminderList(BaseModel):
    reminders: list[ReminderOut] = Field(
        description="The unit's open reminders (neither resolved nor answered), earliest due first."
    )
    fetched_at: str


class ReminderAnswerIn(BaseModel):
    """POST /reminders/{id}/answer: the reminder is not the unit's to answer."""

    model_config = ConfigDict(extra="forbid")

    answer: Literal["not_ours", "patient_moved"] = Field(
        description="not_ours: the unit did not treat the patient for this; patient_moved: "
        "the patient moved to another hospital."
    )
    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)
    ] = Field(
        description="Why, in the unit's words (1-500 characters, not only spaces; no control "
        "characters but tab and line breaks)."
    )

    @field_validator("reason")
    @classmethod
    def _printable(cls, reason: str) -> str:
        # PostgreSQL refuses NUL in text (a 500 otherwise); the others have no place in a
        # reason either. Lone surrogates cannot be stored as UTF-8.
        if any(
            unicodedata.category(c) in ("Cc", "Cs") and c not in _LINE_CHARACTERS for c in reason
        ):
            raise ValueError(
                "the reason contains a control character; write it as plain text (tabs and "
                "line breaks are allowed)"
            )
        return reason


_LINE_CHARACTERS = frozenset("\t\n\r")


class ReminderAnswerOut(BaseModel):
    id: str
    answer: str
    answered_at: str = Field(description="ISO 8601, UTC; the first time it was answered.")


class Health(BaseModel):
    status: str
    version: str


class BatchItemIn(BaseModel):
    idempotency_key: str = Field(
        description="A UUID for this message that stays the same on every retry (what the "
        "Idempotency-Key header is for POST /messages)."
    )
    message: MessageBody


class BatchRequest(BaseModel):
    """POST /api/v1/messages/batch: up to `max_batch_items` (100) messages at once."""

    items: list[BatchItemIn] = Field(min_length=1)


class BatchItemResult(BaseModel):
    idempotency_key: str | None = Field(
        description="The item's key as sent (null when it was not a string)."
    )
    status: int = Field(
        description="What POST /messages would have answered for this item alone: 201 stored "
        "now, 200 replay (the original receipt), 409 key used for another body or message "
        "already received under another key, 422 not valid (issues), 400 bad key, 413 message "
        "too large."
    )
    receipt: ReceiptOut | None = Field(description="With 201 and 200; otherwise null.")
    detail: str | None = Field(description="With every refusal: what is wrong, what to do.")
    issues: list[IssueOut] | None = Field(
        description="With 422: the problems in the message's fields (may be empty); else null."
    )
    latest_version: int | None = Field(
        None, description="Only when the form version is no longer accepted: the one to use."
    )


class BatchResults(BaseModel):
    results: list[BatchItemResult] = Field(description="One per item, in the items' order.")
