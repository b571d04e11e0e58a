"""Real parts for the shell's GUI tests: the registry server on loopback TLS, a real cache and
real services in tmp_path, a clinician signed in through desktop_app.sign_in (a real
UserSession), and real widgets offscreen. No test may let the UI query the cache on the GUI
thread (tests.support.gui_thread_queries)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop_app.app import Services, build_services
from desktop_app.auth import Session
from desktop_app.config import Settings
from desktop_app.forms.examples import example_values
from desktop_app.sign_in import sign_in
from desktop_app.user_session import UserSession
from tests.support.client_settings import settings_for_tests
from tests.support.gui_thread_queries import cache_queries_on_gui_thread  # noqa: F401
from tests.support.live_server import LiveServer
from ui.application import AppShell

DEMO_USER, DEMO_PASSWORD = "demo", "demo"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(tmp_path / "server") as live:
        yield live


def client_settings(server: LiveServer, data_dir: Path) -> Settings:
    # Quick retries keep offline tests short; the timer pass stays out of the way.
    return settings_for_tests(
        server, data_dir, retry_interval_s=0.2, sync_interval_s=60.0, autosave_debounce_ms=50
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


def sign_in_user(
    services: Services, username: str = DEMO_USER, password: str = DEMO_PASSWORD
) -> UserSession:
    """Sign in through the real path (server, then this computer's keys)."""
    user = sign_in(services, username, password)
    assert isinstance(user, UserSession), user
    return user


@pytest.fixture
def user(services: Services) -> Iterator[UserSession]:
    user = sign_in_user(services)
    yield user
    user.end()


@pytest.fixture
def session(user: UserSession) -> Session:
    return user.session


def queue_valid_report(user: UserSession, seed: int = 1) -> str:
    """A breast assessment with synthetic valid answers, submitted to the outbox; its id."""
    record = user.drafts.new_draft("breast", "assessment")
    _, definition = user.drafts.open(record.id)
    issues = user.drafts.submit(record.id, example_values(definition, random.Random(seed)))
    assert not [issue for issue in issues if issue.severity == "error"], issues
    return record.id


@pytest.fixture
def shell(qtbot, services) -> Iterator[AppShell]:
    """The session loop as ui.application.run drives it, signed in through the dialog."""
    shell = AppShell(services, username=DEMO_USER)
    shell.start()
    dialog = shell.dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.password_edit, DEMO_PASSWORD)
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: shell.window is not None and shell.window.isVisible(), timeout=10000)
    shell.window.closed.disconnect()  # the shell's QApplication.quit() would end the test run
    yield shell
    if shell.window is not None:
        shell.window.close()
    shell.finish()
    if shell.dialog is not None:
        shell.dialog.reject()
        shell.dialog.deleteLater()
