"""Everything that belongs to the signed-in clinician, made at sign-in and ended at sign-out.

`UserSession` holds the cache bound to the clinician and their keys (local_cache.user_cache),
the autosaver and draft service over it, and the sync engine. The UI receives it and never
names an owner itself. Locking drops the data key (drafts and reminders close; the sync
engine keeps sending the queue with the outbox key, see local_cache.crypto); unlocking takes
the password again, offline too. Ending it stops sync, flushes the last edit and drops the keys.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from desktop_app.auth import Session
from desktop_app.autosave import Autosaver
from desktop_app.drafts import DraftService
from desktop_app.receipts import TrustedKeys
from desktop_app.sync.engine import SyncEngine
from local_cache.crypto import EncryptingCodec, UserKeys
from local_cache.user_cache import UserCache
from local_cache.user_keys import Unlock

if TYPE_CHECKING:
    from desktop_app.app import Services

log = logging.getLogger(__name__)


class UserSession:
    def __init__(
        self,
        services: Services,
        session: Session,
        keys: UserKeys,
        *,
        adopt_plain_rows: bool = False,
    ) -> None:
        self.services = services
        self.session = session
        self.owner = session.username
        self.codec = EncryptingCodec(keys)
        self.cache = UserCache(services.cache, self.owner, self.codec)
        self.autosaver = Autosaver(self.cache.messages, on_error=_log_autosave_error)
        self.drafts = DraftService(self.cache, services.catalogue, self.autosaver, self.owner)
        self.sync: SyncEngine | None = None
        self._lock = threading.Lock()
        self._ended = False
        if adopt_plain_rows:
            # Only when this user's keys are first made here: rows an earlier, unencrypted
            # version wrote. Later a plain row is refused like any changed one, never adopted
            # (another user of the PC could otherwise plant drafts or messages in this name).
            moved = self.cache.encrypt_plain_rows()
            if moved:
                log.info("Encrypted %d record(s) kept in plain text by an earlier version", moved)

    # --- lock ------------------------------------------------------------------------------

    @property
    def locked(self) -> bool:
        return not self.codec.unlocked

    @property
    def ended(self) -> bool:
        return self._ended

    def lock(self) -> None:
        """Write the last edit, then drop the data key. The queue is still sent."""
        with self._lock:
            if self._ended or self.locked:
                return
            self.autosaver.flush()
            self.codec.lock()
            self.services.cache.user_keys.forget_recent()
        log.info("Session locked")

    def unlock(self, password: str) -> bool:
        """Open the data key again with the password (no network needed); False if wrong."""
        result = self.services.cache.user_keys.unlock(self.session.server_url, self.owner, password)
        if result.outcome is not Unlock.OPENED or result.keys is None:
            log.info("Unlock refused")
            return False
        with self._lock:
            if self._ended:
                return False
            self.codec.unlock(result.keys)
        log.info("Session unlocked")
        if self.sync is not None:
            self.sync.request_sync()  # reminders wait for the data key
        return True

    def change_password(self, new_password: str) -> None:
        """Seal this computer's keys under a new password (the server's password is changed
        by the caller first): nothing is re-encrypted. Must be unlocked."""
        keys = self.codec.keys
        if keys.data_key is None:
            raise RuntimeError("Unlock the session before changing the password.")
        self.services.cache.user_keys.rewrap(
            self.session.server_url, self.owner, new_password, keys
        )

    # --- sync ------------------------------------------------------------------------------

    def start_sync(self) -> SyncEngine:
        """Start the background sync (stopping any earlier one)."""
        self.stop_sync()
        settings = self.services.settings
        # Each receipt's signature is checked as it arrives, against the shipped keys and
        # those fetched from this server (desktop_app.receipts.keys).
        trusted = TrustedKeys.for_cache(self.services.cache, self.session.server_url)
        engine = SyncEngine(
            self.cache,
            self.services.api,
            self.session,
            self.services.events,
            interval_s=settings.sync_interval_s,
            retry_s=settings.retry_interval_s,
            batch_size=settings.sync_batch_size,
            receipt_verdict=lambda receipt: trusted.verdict(receipt).value,
        )
        engine.start()
        self.sync = engine
        log.info("Started sync engine")
        return engine

    def send_now(self) -> None:
        """The user's "Send now": a pass at once (the server's Retry-After still holds)."""
        if self.sync is not None:
            self.sync.request_sync()

    def retry(self, message_ids: Iterable[str]) -> int:
        """The user's "Retry" for quarantined messages: back to the queue with the same key
        and body, then a pass at once. Returns how many are queued now."""
        moved = self.cache.messages.retry_rejected(message_ids)
        if moved:
            log.info("Re-queued %d quarantined message(s) at the user's request", moved)
        self.send_now()
        return moved

    def cancel_sync(self) -> None:
        if self.sync is not None:
            self.sync.cancel()

    def stop_sync(self) -> None:
        engine, self.sync = self.sync, None
        if engine is not None:
            engine.stop()
            log.info("Stopped sync engine")

    # --- end -------------------------------------------------------------------------------

    def end(self) -> None:
        """Sign-out or another clinician signing in: stop sync, write the last edit, close
        the autosaver and drop every key. Safe to call twice."""
        with self._lock:
            if self._ended:
                return
            self._ended = True
        try:
            self.stop_sync()
            self.autosaver.flush()
        finally:
            try:
                self.autosaver.close()
            finally:
                self.codec.forget()
                self.services.cache.user_keys.forget_recent()
        log.info("Session ended")


def _log_autosave_error(message_id: str, error: BaseException) -> None:
    # Never log the values themselves: only which draft and which kind of failure.
    log.error("Autosave of draft %s failed: %s", message_id, type(error).__name__)
