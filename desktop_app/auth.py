"""Sign-in: online against the server, offline against a local password verifier.

Tokens live only in the OS keyring (``keyring``), never in SQLite or settings: the short-lived
access token and the refresh token that renews it (`Session.renewed_token`, the one place).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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


@dataclass(frozen=True)
class SavedTokens:
    """What the keyring holds for one (server, user). The access token is kept too, so that
    another process of the same user can send without renewing first."""

    refresh_token: str | None
    access_token: str | None = None
    access_expires_at: str | None = None  # ISO 8601 from the server

    def access_expired(self, margin: timedelta = timedelta(seconds=30)) -> bool:
        """True when the access token is missing or ends within `margin`."""
        if not self.access_token:
            return True
        if not self.access_expires_at:
            return False  # unknown: the server will say
        try:
            ends = datetime.fromisoformat(self.access_expires_at)
        except ValueError:
            return False
        ends = ends if ends.tzinfo else ends.replace(tzinfo=UTC)
        return ends - margin <= datetime.now(UTC)


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class TokenStore:
    """Tokens in the OS keyring: per (server, user) one entry with the access token, and one
    (`key + "|refresh"`) with the refresh token and the access token's expiry. The refresh
    token lives only here: never in SQLite, a settings file or a log."""

    def __init__(self, service: str = KEYRING_SERVICE) -> None:
        self.service = service

    @staticmethod
    def key(server_url: str, username: str) -> str:
        return f"{_normal_url(server_url)}|{username}"

    def _read(self, name: str) -> str | None:
        try:
            return keyring.get_password(self.service, name)
        except keyring.errors.KeyringError as exc:
            log.warning("The keyring cannot be read: %s", type(exc).__name__)
            return None

    def load(self, server_url: str, username: str) -> SavedTokens | None:
        """None when signed out (no access token kept)."""
        key = self.key(server_url, username)
        access = self._read(key)
        if not access:
            return None
        try:
            renewal = json.loads(self._read(key + _REFRESH) or "{}")
        except ValueError:
            renewal = {}
        renewal = renewal if isinstance(renewal, dict) else {}
        return SavedTokens(
            refresh_token=_str_or_none(renewal.get("refresh_token")),
            access_token=access,
            access_expires_at=_str_or_none(renewal.get("access_expires_at")),
        )

    def save(self, server_url: str, username: str, tokens: SavedTokens) -> None:
        key = self.key(server_url, username)
        renewal = {
            "refresh_token": tokens.refresh_token,
            "access_expires_at": tokens.access_expires_at,
        }
        # The refresh entry first: an access token is never kept with a stale refresh token.
        keyring.set_password(self.service, key + _REFRESH, json.dumps(renewal))
        keyring.set_password(self.service, key, tokens.access_token or "")

    def get(self, server_url: str, username: str) -> str | None:
        """The access token kept for (server, user), if any."""
        return self._read(self.key(server_url, username)) or None

    def set(self, server_url: str, username: str, token: str) -> None:
        """Keep an access token alone (no refresh token)."""
        self.save(server_url, username, SavedTokens(refresh_token=None, access_token=token))

    def delete(self, server_url: str, username: str) -> None:
        key = self.key(server_url, username)
        for name in (key, key + _REFRESH):
            # Nothing stored means already signed out.
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                keyring.delete_password(self.service, name)


_REFRESH = "|refresh"


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
    # The registry's escrow key for this user (32 bytes; None offline or from an older
    # server): a second wrapping of the data keys, so a forgotten password loses no outbox.
    escrow_key: bytes | None = field(default=None, repr=False, compare=False)
    # Renews the access token with the refresh token; None: no renewal (offline sign-in).
    api: ApiClient | None = field(default=None, repr=False, compare=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    # This session's earlier access tokens: a request still holding one gets the current one.
    _earlier: set[str] = field(default_factory=set, repr=False, compare=False)

    def token(self) -> str | None:
        """The current access token, read from the keyring each time (sign-out removes it),
        renewed first when it has expired. None when signed out."""
        with self._lock:
            saved = self.tokens.load(self.server_url, self.username)
            if saved is None:
                return None
            if saved.access_expired() and saved.refresh_token:
                return self._refresh(saved) or saved.access_token
            return saved.access_token

    def renewed_token(self, refused: str) -> str | None:
        """A token to use instead of `refused` (the server answered 401 to it), or None.

        The one place tokens are renewed, under a lock: the sync thread, the statistics
        fetcher and the GUI may all meet the expiry at once, and only the first refreshes
        (a refresh token used twice ends the sign-in); the others get its new token."""
        with self._lock:
            saved = self.tokens.load(self.server_url, self.username)
            if saved is None or not saved.access_token:
                return None
            if saved.access_token != refused:
                # Renewed meanwhile; never hand this session's token to another's request.
                return saved.access_token if refused in self._earlier else None
            return self._refresh(saved)

    def _refresh(self, saved: SavedTokens) -> str | None:
        if self.api is None or not saved.refresh_token:
            return None
        try:
            answer = self.api.refresh(saved.refresh_token)
        except ApiError as exc:
            # AuthError: the sign-in is over (the next 401 asks to sign in again); otherwise
            # the network: try again next time.
            log.info("The sign-in could not be renewed: %s", type(exc).__name__)
            return None
        renewed = _saved_from_answer(answer)
        if renewed is None or not renewed.access_token:
            return None
        try:
            self.tokens.save(self.server_url, self.username, renewed)
        except keyring.errors.KeyringError as exc:
            log.warning("The renewed sign-in cannot be kept in the keyring: %s", type(exc).__name__)
            return None
        if saved.access_token:
            self._earlier.add(saved.access_token)
        return renewed.access_token


def _saved_from_answer(answer: dict) -> SavedTokens | None:
    access = _str_or_none(answer.get("access_token"))
    if access is None:
        return None
    return SavedTokens(
        refresh_token=_str_or_none(answer.get("refresh_token")),
        access_token=access,
        access_expires_at=_str_or_none(answer.get("expires_at")),
    )


def _escrow_key(user: dict) -> bytes | None:
    """The escrow key of a sign-in answer (base64url of 32 bytes), decoded."""
    text = user.get("escrow_key")
    if not isinstance(text, str) or not text:
        return None
    try:
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error):
        return None
    return key if len(key) == 32 else None


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
        except ServerError as exc:
            if exc.status == 429:
                # The server is there and says wait: never a way round its limit through
                # this computer's offline check. Its sentence says how long.
                raise SignInError(exc.message) from exc
            return self._offline_sign_in(username, password, exc)
        except NetworkError as exc:
            return self._offline_sign_in(username, password, exc)
        except ApiError as exc:
            raise SignInError(exc.message) from exc
        return self._online_session(username, password, answer)

    def sign_out(self, session: Session) -> None:
        """Forget the tokens here, and revoke them on the server when it answers quickly; a
        network that is down never keeps anyone from signing out."""
        saved = self.tokens.load(session.server_url, session.username)
        # Offline sessions too: they may have renewed the last online sign-in's tokens.
        if saved is not None and saved.access_token:
            try:
                self.api.sign_out(saved.access_token)
            except ApiError as exc:
                log.info("The server was not told of the sign-out: %s", type(exc).__name__)
        self.tokens.delete(session.server_url, session.username)
        if session.api is self.api:
            self.api.use_refresher(None)

    def _online_session(self, username: str, password: str, answer: dict) -> Session:
        saved = _saved_from_answer(answer)
        user = answer.get("user") or {}
        if saved is None:
            raise SignInError("The registry server sent no sign-in token. Try again later.")
        profile: dict[str, Any] = {
            "username": user.get("username", username),
            "display_name": user.get("display_name") or username,
            "unit": user.get("unit") or {},
        }
        try:
            self.tokens.save(self.server_url, username, saved)
        except keyring.errors.KeyringError as exc:
            raise SignInError(
                "Signed in, but the sign-in token cannot be stored in this computer's keyring "
                f"({type(exc).__name__}). Ask your IT department to check the keyring."
            ) from exc
        # Lets the same password open the app later without the network.
        self.users.remember(self.server_url, username, password, profile)
        session = Session(
            server_url=self.server_url,
            username=username,
            display_name=profile["display_name"],
            unit=profile["unit"],
            offline=False,
            tokens=self.tokens,
            escrow_key=_escrow_key(user),
            api=self.api,
        )
        # Expired access tokens are renewed by this session from now on (one at a time).
        self.api.use_refresher(session.renewed_token)
        return session

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
        session = Session(
            server_url=self.server_url,
            username=username,
            display_name=profile.get("display_name") or username,
            unit=profile.get("unit") or {},
            offline=True,
            tokens=self.tokens,
            notice=cause.message,
            api=self.api,
        )
        # The tokens of the last online sign-in (when still in the keyring) are renewed once
        # the server answers again, so the queue goes without signing in again.
        self.api.use_refresher(session.renewed_token)
        return session
