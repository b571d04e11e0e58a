"""Sign-in: online against the server, offline against a local password verifier.

The access token lives only in the OS keyring (``keyring``), never in SQLite or settings.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

import keyring
import keyring.errors

from desktop_app.sync.api_client import (
    ApiClient,
    ApiError,
    AuthError,
    NetworkError,
    ServerError,
    TlsError,
)

log = logging.getLogger(__name__)

KEYRING_SERVICE = "registry-desktop"


class LocalUsers(Protocol):
    """The part of ``local_cache``'s LocalUserRepository that sign-in needs."""

    def remember(self, server_url: str, username: str, password: str, profile: dict) -> None: ...
    def verify(self, server_url: str, username: str, password: str) -> dict | None: ...


class SignInError(Exception):
    """Sign-in failed; ``message`` is a plain sentence for the sign-in dialog."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _normal_url(server_url: str) -> str:
    return server_url.rstrip("/")


class TokenStore:
    """Access tokens in the OS keyring, one per (server, user)."""

    def __init__(self, service: str = KEYRING_SERVICE) -> None:
        self.service = service

    @staticmethod
    def key(server_url: str, username: str) -> str:
        return f"{_normal_url(server_url)}|{username}"

    def get(self, server_url: str, username: str) -> str | None:
        try:
            return keyring.get_password(self.service, self.key(server_url, username))
        except keyring.errors.KeyringError as exc:
            log.warning("The keyring cannot be read: %s", type(exc).__name__)
            return None

    def set(self, server_url: str, username: str, token: str) -> None:
        keyring.set_password(self.service, self.key(server_url, username), token)

    def delete(self, server_url: str, username: str) -> None:
        # Nothing stored means already signed out.
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            keyring.delete_password(self.service, self.key(server_url, username))


@dataclass
class Session:
    server_url: str
    username: str
    display_name: str
    unit: dict
    offline: bool
    tokens: TokenStore = field(repr=False, compare=False)
    # Why the session is offline, in a sentence the UI may show (empty when online).
    notice: str = ""

    def token(self) -> str | None:
        """The current access token, read from the keyring each time (sign-out removes it)."""
        return self.tokens.get(self.server_url, self.username)


class SessionService:
    def __init__(
        self, api: ApiClient, users: LocalUsers, tokens: TokenStore, server_url: str
    ) -> None:
        self.api = api
        self.users = users
        self.tokens = tokens
        self.server_url = _normal_url(server_url)

    def sign_in(self, username: str, password: str) -> Session:
        """Online sign-in; when the server cannot be reached, the local verifier decides."""
        username = username.strip()
        if not username or not password:
            raise SignInError("Enter your username and password.")
        try:
            answer = self.api.sign_in(username, password)
        except AuthError as exc:
            raise SignInError("Wrong username or password.") from exc
        except (NetworkError, ServerError) as exc:
            return self._offline_sign_in(username, password, exc)
        except ApiError as exc:
            raise SignInError(exc.message) from exc
        return self._online_session(username, password, answer)

    def sign_out(self, session: Session) -> None:
        self.tokens.delete(session.server_url, session.username)

    def _online_session(self, username: str, password: str, answer: dict) -> Session:
        token = answer.get("access_token")
        user = answer.get("user") or {}
        if not isinstance(token, str) or not token:
            raise SignInError("The registry server sent no sign-in token. Try again later.")
        profile: dict[str, Any] = {
            "username": user.get("username", username),
            "display_name": user.get("display_name") or username,
            "unit": user.get("unit") or {},
        }
        try:
            self.tokens.set(self.server_url, username, token)
        except keyring.errors.KeyringError as exc:
            raise SignInError(
                "Signed in, but the sign-in token cannot be stored in this computer's keyring "
                f"({type(exc).__name__}). Ask your IT department to check the keyring."
            ) from exc
        # Lets the same password open the app later without the network.
        self.users.remember(self.server_url, username, password, profile)
        return Session(
            server_url=self.server_url,
            username=username,
            display_name=profile["display_name"],
            unit=profile["unit"],
            offline=False,
            tokens=self.tokens,
        )

    def _offline_sign_in(self, username: str, password: str, cause: ApiError) -> Session:
        profile = self.users.verify(self.server_url, username, password)
        if profile is None:
            reason = (
                cause.message
                if isinstance(cause, TlsError)
                else "The registry server cannot be reached"
            )
            raise SignInError(
                f"{reason.rstrip('.')}, so you can only sign in offline, and this computer "
                "cannot confirm these credentials: either the password is wrong or you have not "
                "signed in on this computer before. The first sign-in on a computer needs a "
                "connection to the registry server."
            ) from cause
        return Session(
            server_url=self.server_url,
            username=username,
            display_name=profile.get("display_name") or username,
            unit=profile.get("unit") or {},
            offline=True,
            tokens=self.tokens,
            notice=cause.message,
        )
