"""Real parts for the shell's GUI tests: the registry server on loopback TLS, a real cache and
real services in tmp_path, and real widgets offscreen."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop_app.app import Services, build_services
from desktop_app.auth import Session
from desktop_app.config import Settings
from desktop_app.forms.examples import example_values
from tests.support.live_server import LiveServer

DEMO_USER, DEMO_PASSWORD = "demo", "demo"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(tmp_path / "server") as live:
        yield live


def client_settings(server: LiveServer, data_dir: Path) -> Settings:
    return Settings(
        server_url=server.url,
        ca_bundle=str(server.ca_path),
        data_dir=data_dir,
        # Quick retries keep offline tests short; the timer pass stays out of the way.
        retry_interval_s=0.2,
        sync_interval_s=60.0,
        autosave_debounce_ms=50,
    )


@pytest.fixture
def settings(server: LiveServer, tmp_path: Path) -> Settings:
    return client_settings(server, tmp_path / "client")


@pytest.fixture
def make_services() -> Iterator[Callable[[Settings], Services]]:
    """Builds services like the app does; every one built is shut down after the test."""
    built: list[Services] = []

    def make(settings: Settings) -> Services:
        services = build_services(settings)
        built.append(services)
        return services

    yield make
    for services in built:
        services.shutdown()


@pytest.fixture
def services(make_services, settings: Settings) -> Services:
    return make_services(settings)


@pytest.fixture
def session(services: Services) -> Session:
    return services.sessions.sign_in(DEMO_USER, DEMO_PASSWORD)


def queue_valid_report(services: Services, owner: str, seed: int = 1) -> str:
    """A breast assessment with synthetic valid answers, submitted to the outbox; its id."""
    record = services.drafts.new_draft(owner, "breast", "assessment")
    _, definition = services.drafts.open(record.id)
    issues = services.drafts.submit(record.id, example_values(definition, random.Random(seed)))
    assert not [issue for issue in issues if issue.severity == "error"], issues
    return record.id
