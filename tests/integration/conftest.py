"""One real server over TLS and one real client API for the whole module: fast enough to send
a message on every form of the catalogue."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.auth import Session, SessionService, TokenStore
from desktop_app.forms import Catalogue, example_values, load_catalogue
from desktop_app.sync.api_client import ApiClient
from local_cache import Cache, MessageRecord, open_cache
from tests.support.live_server import LiveServer

DEMO_USER = ("demo", "demo")  # made by the server's demo data


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("server")) as live:
        yield live


@pytest.fixture(scope="module")
def api(server: LiveServer) -> Iterator[ApiClient]:
    with ApiClient(server.url, ca_bundle=str(server.ca_path), timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def token(api: ApiClient) -> str:
    return api.sign_in(*DEMO_USER)["access_token"]


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    opened = open_cache(tmp_path / "client" / "cache.sqlite3")
    yield opened
    opened.close()


@pytest.fixture
def session(api: ApiClient, cache: Cache, server: LiveServer) -> Iterator[Session]:
    sessions = SessionService(api, cache.users, TokenStore(), server.url)
    signed_in = sessions.sign_in(*DEMO_USER)
    yield signed_in
    sessions.sign_out(signed_in)


def queue_messages(
    cache: Cache,
    catalogue: Catalogue,
    count: int,
    *,
    owner: str = DEMO_USER[0],
    seed: int = 0,
) -> list[MessageRecord]:
    """`count` valid breast assessments (synthetic answers) queued in the outbox, as the
    client's DraftService leaves them: draft, then submit with the body frozen and a key."""
    definition = catalogue.latest("breast", "assessment")
    rng = random.Random(seed)
    queued = []
    for _ in range(count):
        values = definition.submitted_values(example_values(definition, rng))
        record = cache.messages.create_draft(
            owner, definition.registry, definition.form, definition.version, values
        )
        body = {
            "message_id": record.id,
            "registry": definition.registry,
            "form": definition.form,
            "version": definition.version,
            "values": values,
        }
        queued.append(cache.messages.submit(record.id, body))
    return queued
