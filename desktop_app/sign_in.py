"""Signing a clinician in: the server (or, offline, this computer's sealed keys) checks the
password, then this computer's keys for the clinician are opened or made, and their
UserSession begins.

The outcomes besides a session:
* `PasswordChanged`: the server took the password, but this computer's keys are sealed under
  an earlier one (changed elsewhere, or forgotten and reset). The clinician either gives the
  earlier password (nothing lost) or starts over: the submitted messages are still sent (their
  key is recovered from the registry's escrow copy), the drafts on this computer are lost.
* SignInError: refused, with a sentence for the dialog.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import keyring

from desktop_app.auth import Session, SignInError
from desktop_app.user_session import UserSession
from local_cache.user_keys import Unlock

if TYPE_CHECKING:
    from desktop_app.app import Services

log = logging.getLogger(__name__)

# keyring backends that keep secrets where any program of the user can read them.
_PLAINTEXT_BACKENDS = ("PlaintextKeyring", "fail.Keyring", "null.Keyring")


def plaintext_keyring() -> str | None:
    """The backend's name when it keeps secrets in plain text (or keeps none), else None."""
    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    return name if any(name.endswith(b) for b in _PLAINTEXT_BACKENDS) else None


def check_keyring(allowed: bool) -> None:
    backend = plaintext_keyring()
    if backend is not None and not allowed:
        raise SignInError(
            f"This computer's keyring ({backend}) keeps passwords in a plain file that any "
            "program can read, so the registry's sign-in cannot be kept there. Ask your IT "
            "department to set up the system keyring (Windows Credential Manager or the "
            "desktop's secret service)."
        )


def _escrow(session: Session) -> bytes | None:
    return getattr(session, "escrow_key", None)


@dataclass
class PasswordChanged:
    """Signed in, but this computer's keys are sealed under an earlier password."""

    services: Services
    session: Session
    password: str

    @property
    def can_recover_outbox(self) -> bool:
        escrow = _escrow(self.session)
        return escrow is not None and self._outbox_key(escrow) is not None

    def with_previous_password(self, previous: str) -> UserSession | None:
        """Open the keys with the earlier password and seal them under the new one (nothing
        lost); None when the earlier password does not open them either."""
        keys_store = self.services.cache.user_keys
        result = keys_store.unlock(self.session.server_url, self.session.username, previous)
        if result.outcome is not Unlock.OPENED or result.keys is None:
            return None
        keys_store.rewrap(
            self.session.server_url, self.session.username, self.password, result.keys
        )
        escrow = _escrow(self.session)
        if escrow is not None:
            keys_store.store_escrow(
                self.session.server_url, self.session.username, result.keys, escrow
            )
        log.info("Keys sealed under the new password")
        return UserSession(self.services, self.session, result.keys)

    def start_over(self) -> tuple[UserSession, int]:
        """New keys; the queue keeps its outbox key (from escrow) so it is still sent. Returns
        the session and how many drafts were lost."""
        escrow = _escrow(self.session)
        outbox_key = self._outbox_key(escrow) if escrow is not None else None
        keys = self.services.cache.user_keys.create(
            self.session.server_url,
            self.session.username,
            self.password,
            escrow,
            outbox_key=outbox_key,
        )
        user = UserSession(self.services, self.session, keys)
        # With the escrow copy the queue is kept (only drafts go); without it nothing of the
        # owner's opens again.
        lost = (
            user.cache.start_over_without_data_key()
            if outbox_key is not None
            else user.cache.delete_everything()
        )
        log.info("Started over with new keys; %d draft(s) lost", lost)
        return user, lost

    def _outbox_key(self, escrow: bytes) -> bytes | None:
        return self.services.cache.user_keys.recover_outbox_key(
            self.session.server_url, self.session.username, escrow
        )


def sign_in(services: Services, username: str, password: str) -> UserSession | PasswordChanged:
    """Sign in and open the clinician's keys (about 0.3 s of key derivation, off the GUI
    thread). SignInError with a sentence when refused."""
    check_keyring(services.settings.allow_plaintext_keyring)
    session = services.sessions.sign_in(username, password)
    store = services.cache.user_keys
    result = store.unlock(session.server_url, session.username, password)
    escrow = _escrow(session)
    if result.outcome is Unlock.OPENED and result.keys is not None:
        if escrow is not None:
            store.store_escrow(session.server_url, session.username, result.keys, escrow)
        return UserSession(services, session, result.keys)
    if result.outcome is Unlock.NO_KEYS:
        keys = store.create(session.server_url, session.username, password, escrow)
        log.info("Made this computer's keys for the user")
        return UserSession(services, session, keys, adopt_plain_rows=True)
    if session.offline:
        # The offline check passed an older verifier, but the keys do not open: the
        # password was changed on this computer after that verifier was made.
        raise SignInError("Wrong username or password.")
    return PasswordChanged(services, session, password)
