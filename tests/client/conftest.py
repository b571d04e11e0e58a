"""Real parts for the client tests: the registry server on loopback TLS, a cache file, the API."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop_app.auth import Session, SessionService, TokenStore
from desktop_app.autosave import Autosaver
from desktop_app.drafts import DraftService
from desktop_app.events import EventBus
from desktop_app.forms import Catalogue, load_catalogue
from desktop_app.forms.examples import example_values
from desktop_app.sync.api_client import ApiClient
from desktop_app.sync.engine import SyncEngine
from local_cache import Cache, MessageRecord, open_cache
from tests.client.scripted_api import OWNER, FakeSession
from tests.support.live_server import LiveServer

DEMO_USER = ("demo", "demo")  # made by the server's demo data


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(tmp_path / "server") as live:
        yield live


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    opened = open_cache(tmp_path / "client" / "cache.sqlite3")
    yield opened
    opened.close()


@pytest.fixture
def api(server: LiveServer) -> Iterator[ApiClient]:
    with ApiClient(server.url, ca_bundle=str(server.ca_path), timeout=5) as client:
        yield client


@pytest.fixture
def sessions(api: ApiClient, cache: Cache, server: LiveServer) -> SessionService:
    return SessionService(api, cache.users, TokenStore(), server.url)


@pytest.fixture
def session(sessions: SessionService) -> Iterator[Session]:
    signed_in = sessions.sign_in(*DEMO_USER)
    yield signed_in
    sessions.sign_out(signed_in)


@pytest.fixture
def drafts(cache: Cache, catalogue: Catalogue) -> Iterator[DraftService]:
    autosaver = Autosaver(cache.messages)
    yield DraftService(cache, catalogue, autosaver, OWNER)
    autosaver.close()


@pytest.fixture
def queue_valid_message(
    drafts: DraftService, catalogue: Catalogue
) -> Callable[[str], MessageRecord]:
    """Create a draft with valid synthetic answers and submit it; returns the queued record."""
    rng = random.Random(20240601)

    def queue(owner: str = DEMO_USER[0]) -> MessageRecord:
        record = drafts.new_draft("breast", "assessment")
        definition = catalogue.get("breast", "assessment", record.form_version)
        issues = drafts.submit(record.id, example_values(definition, rng))
        assert [i for i in issues if i.severity == "error"] == []
        return drafts.cache.messages.get(record.id)

    return queue


def wait_for(condition: Callable[[], object], timeout: float = 15.0) -> None:
    """Poll until condition() is truthy; fail with the condition's name otherwise."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for {getattr(condition, '__name__', condition)}")
        time.sleep(0.02)


class Recorder:
    """Collects published events (from the engine's thread)."""

    def __init__(self, bus: EventBus) -> None:
        self._lock = threading.Lock()
        self.events: list[object] = []
        bus.subscribe(self._add)

    def _add(self, event: object) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, kind: type) -> list:
        with self._lock:
            return [e for e in self.events if isinstance(e, kind)]


# -- engines on the scripted ApiClient (tests/client/scripted_api.py) ----------------------


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def recorder(bus: EventBus) -> Recorder:
    return Recorder(bus)


@pytest.fixture
def queue(cache: Cache) -> Callable[[int], list[str]]:
    def make(count: int) -> list[str]:
        ids = []
        for _ in range(count):
            record = cache.messages.create_draft(OWNER, "breast", "assessment", 1, {"a": "1"})
            body = {
                "message_id": record.id,
                "registry": "breast",
                "form": "assessment",
                "version": 1,
                "values": {"a": "1"},
            }
            cache.messages.submit(record.id, body)
            ids.append(record.id)
        return ids

    return make


@pytest.fixture
def run_engine(cache: Cache, bus: EventBus) -> Iterator[Callable[..., SyncEngine]]:
    engines: list[SyncEngine] = []

    def run(api: ApiClient, **kwargs: float) -> SyncEngine:
        kwargs = {"interval_s": 600.0, "retry_s": 0.01, **kwargs}
        engine = SyncEngine(cache, api, FakeSession(), bus, **kwargs)
        engines.append(engine)
        engine.start()
        return engine

    yield run
    for engine in engines:
        engine.stop()
        engine.api.close()
