"""What talking to the registry server can come to: the failures (each with a plain sentence in
``.message`` for the user) and the per-message results of a submission."""

from __future__ import annotations

from dataclasses import dataclass

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
