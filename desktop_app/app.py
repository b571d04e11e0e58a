"""The composition root: builds every client service once, in order, and shuts them down in reverse.

There is no global application object. The UI receives the ``Services`` it needs through its
constructors, and tests build real services the same way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.auth import Session, SessionService, TokenStore
from desktop_app.autosave import Autosaver
from desktop_app.config import Settings
from desktop_app.drafts import DraftService
from desktop_app.events import EventBus
from desktop_app.forms import Catalogue, load_catalogue
from desktop_app.receipts import TrustedKeys
from desktop_app.sync.api_client import ApiClient
from desktop_app.sync.engine import SyncEngine
from local_cache import Cache, open_cache

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    catalogue: Catalogue
    cache: Cache
    api: ApiClient
    tokens: TokenStore
    sessions: SessionService
    events: EventBus
    autosaver: Autosaver
    drafts: DraftService
    sync: SyncEngine | None = None
    # Shutdown steps in start-up order; run in reverse by shutdown().
    _closers: list[tuple[str, Callable[[], None]]] = field(default_factory=list, repr=False)
    _closed: bool = field(default=False, repr=False)

    def start_sync(self, session: Session) -> SyncEngine:
        """Start the background sync for a signed-in session (stopping any earlier one)."""
        self.stop_sync()
        # Each receipt's signature is checked as it arrives, against the shipped keys and
        # those fetched from this server (desktop_app.receipts.keys). A receipt answering our
        # own message that does not verify leaves the message in the outbox (quarantined);
        # one fetched for the unit's other messages is kept, marked with its verdict.
        trusted = TrustedKeys.for_cache(self.cache, session.server_url)
        engine = SyncEngine(
            self.cache,
            self.api,
            session,
            self.events,
            interval_s=self.settings.sync_interval_s,
            retry_s=self.settings.retry_interval_s,
            batch_size=self.settings.sync_batch_size,
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
        """The user's "Retry" for quarantined messages: back to the queue with the same key and
        body, then a pass at once. Returns how many were quarantined and are queued now.

        Without a running engine they wait in the queue for the next one."""
        moved = self.cache.messages.retry_rejected(message_ids)
        if moved:
            log.info("Re-queued %d quarantined message(s) at the user's request", moved)
        self.send_now()
        return moved

    def cancel_sync(self) -> None:
        """End the running pass after the request in flight; unsent messages stay queued."""
        if self.sync is not None:
            self.sync.cancel()

    def stop_sync(self) -> None:
        """Stop the sync engine, e.g. on sign-out; the other services stay up."""
        engine, self.sync = self.sync, None
        if engine is not None:
            engine.stop()
            log.info("Stopped sync engine")

    def shutdown(self) -> None:
        """Stop sync, flush and close the autosaver, close the cache and the API client.

        Safe to call more than once; a failing step is logged and the rest still run.
        """
        if self._closed:
            return
        self._closed = True
        _run_logged("stop sync engine", self.stop_sync)
        while self._closers:
            name, close = self._closers.pop()
            _run_logged(name, close)
        log.info("Services shut down")


class _StartUp:
    """Runs named start-up steps, logs each, and undoes the finished ones if a later one fails."""

    def __init__(self) -> None:
        self.closers: list[tuple[str, Callable[[], None]]] = []

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        log.info("Start-up: %s", name)
        yield
        log.debug("Start-up: %s done in %.0f ms", name, (time.perf_counter() - started) * 1000)

    def on_shutdown(self, name: str, close: Callable[[], None]) -> None:
        self.closers.append((name, close))

    def abort(self) -> None:
        for name, close in reversed(self.closers):
            _run_logged(name, close)


def build_services(settings: Settings) -> Services:
    """Start every client service in order; if one fails, close those already started."""
    startup = _StartUp()
    try:
        with startup.step("settings"):
            log.info(
                "Server %s, data folder %s, language %s",
                settings.server_url,
                settings.data_dir,
                settings.language,
            )
            _ensure_private_dir(Path(settings.data_dir))

        with startup.step("form catalogue"):
            catalogue = load_catalogue()

        with startup.step("local cache"):
            cache = open_cache(settings.cache_path)
            startup.on_shutdown("close local cache", cache.close)
            interrupted = cache.messages.reset_interrupted()
            if interrupted:
                log.info("Re-queued %d message(s) whose sending was interrupted", interrupted)

        with startup.step("API client"):
            api = ApiClient(
                settings.server_url,
                ca_bundle=settings.ca_bundle,
                use_system_trust=settings.use_system_trust,
                allow_insecure_http=settings.allow_insecure_http,
                timeout=settings.request_timeout_s,
            )
            startup.on_shutdown("close API client", api.close)

        with startup.step("token store"):
            tokens = TokenStore()

        with startup.step("session service"):
            sessions = SessionService(api, cache.users, tokens, settings.server_url)

        with startup.step("event bus"):
            events = EventBus()

        with startup.step("autosaver"):
            autosaver = Autosaver(cache.messages, on_error=_log_autosave_error)
            startup.on_shutdown("flush and close autosaver", _closing(autosaver))

        with startup.step("draft service"):
            drafts = DraftService(cache, catalogue, autosaver)
    except BaseException:
        log.error("Start-up failed; closing what was started")
        startup.abort()
        raise

    return Services(
        settings=settings,
        catalogue=catalogue,
        cache=cache,
        api=api,
        tokens=tokens,
        sessions=sessions,
        events=events,
        autosaver=autosaver,
        drafts=drafts,
        _closers=startup.closers,
    )


def _ensure_private_dir(path: Path) -> None:
    # The cache holds patient data on a shared PC: only this user may list or read the folder.
    path.mkdir(parents=True, exist_ok=True, mode=0o700)


def _closing(autosaver: Autosaver) -> Callable[[], None]:
    def close() -> None:
        try:
            autosaver.flush()
        finally:
            autosaver.close()

    return close


def _log_autosave_error(message_id: str, error: BaseException) -> None:
    # Never log the values themselves: only which draft and which kind of failure.
    log.error("Autosave of draft %s failed: %s", message_id, type(error).__name__)


def _run_logged(name: str, step: Callable[[], None]) -> None:
    try:
        step()
        log.info("Shutdown: %s", name)
    except Exception:
        log.exception("Shutdown: %s failed", name)
