"""The composition root: builds every client service once, in order, and shuts them down in reverse.

There is no global application object. The UI receives the ``Services`` it needs through its
constructors, and tests build real services the same way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from desktop_app.auth import SessionService, TokenStore
from desktop_app.config import Settings
from desktop_app.events import EventBus
from desktop_app.forms import Catalogue, load_catalogue
from desktop_app.sync.api_client import ApiClient
from local_cache import Cache, open_cache

log = logging.getLogger(__name__)


@dataclass
class Services:
    """What every clinician of this computer shares; what belongs to the signed-in one is in
    their desktop_app.user_session.UserSession."""

    settings: Settings
    catalogue: Catalogue
    cache: Cache  # unbound: start-up work and the keys; never a clinician's payloads
    api: ApiClient
    tokens: TokenStore
    sessions: SessionService
    events: EventBus
    # Shutdown steps in start-up order; run in reverse by shutdown().
    _closers: list[tuple[str, Callable[[], None]]] = field(default_factory=list, repr=False)
    _closed: bool = field(default=False, repr=False)

    def shutdown(self) -> None:
        """Close the cache and the API client (end the UserSession first).

        Safe to call more than once; a failing step is logged and the rest still run.
        """
        if self._closed:
            return
        self._closed = True
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

        with startup.step("form catalogue"):
            catalogue = load_catalogue()

        with startup.step("local cache"):
            cache = open_cache(settings.cache_path, kdf_cost=settings.kdf_cost)
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
        _closers=startup.closers,
    )


def _run_logged(name: str, step: Callable[[], None]) -> None:
    try:
        step()
        log.info("Shutdown: %s", name)
    except Exception:
        log.exception("Shutdown: %s failed", name)
