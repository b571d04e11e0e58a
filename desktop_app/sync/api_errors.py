"""What talking to the registry server can come to: the failures (each with a plain sentence in
``.message`` for the user) and the per-message results of a submission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

NETWORK_MESSAGE = (
    "The registry server cannot be reached. "
    "Your message is kept and will be sent when the connection is back."
)


class ApiError(Exception):
    """Any failure talking to the server; ``message`` is a plain sentence for the user."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class NetworkError(ApiError):
    """The server could not be reached (refused, timed out, connection dropped)."""


class TlsError(NetworkError):
    """The server's certificate could not be verified, so nothing was sent."""


class AuthError(ApiError):
    """Wrong credentials, or the token is missing, expired or revoked (401)."""


class ServerError(ApiError):
    """The server failed (5xx), timed out waiting for our request (408) or asked us to slow
    down (429); try again later, not before ``retry_after`` seconds when it is given."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class InsecureUrlError(ApiError, ValueError):
    """The configured server address is not https:// and plain HTTP is not allowed."""


@dataclass
class Receipted:
    receipt: dict
    replay: bool  # True when the server had already received this message (200)


@dataclass
class Invalid:
    issues: list[dict]
    detail: str


@dataclass
class Conflict:
    detail: str


@dataclass
class Refused:
    """One batch item the server would not take as it is (400 bad key, 413 too large)."""

    status: int
    detail: str


SubmitResult = Receipted | Invalid | Conflict
ItemResult = Receipted | Invalid | Conflict | Refused

UNREADABLE_ANSWER = "The registry server sent an answer that cannot be read. Try again later."


def item_result(result: Any, key: str, message_id: str) -> ItemResult:
    """One batch item's answer; anything that does not fit the item raises ServerError."""
    if not isinstance(result, dict) or result.get("idempotency_key") != key:
        raise ServerError(UNREADABLE_ANSWER)
    status = result.get("status")
    detail = result.get("detail")
    detail = detail if isinstance(detail, str) and detail else f"HTTP status {status}."
    if status in (200, 201):
        receipt = result.get("receipt")
        # A receipt for another message would be stored against this one: never accept it.
        if not isinstance(receipt, dict) or receipt.get("message_id") != message_id:
            raise ServerError(UNREADABLE_ANSWER, status=status)
        return Receipted(receipt=receipt, replay=status == 200)
    if status == 422:
        issues = result.get("issues")
        return Invalid(issues=list(issues) if isinstance(issues, list) else [], detail=detail)
    if status == 409:
        return Conflict(detail=detail)
    if status in (400, 413):
        return Refused(status=status, detail=detail)
    raise ServerError(UNREADABLE_ANSWER, status=status if isinstance(status, int) else None)


def detail_of(response: httpx.Response) -> str:
    """The server's sentence in `detail`, or the status when there is none."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, str) and detail:
        return detail
    return f"HTTP status {response.status_code}."
