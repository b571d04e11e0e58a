"""The page's Refresh against the real server: fetched off the GUI thread, stored, shown; what
the page says when the server cannot be reached or refuses the sign-in; the sync engine's pass
filling the page by itself."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

import pytest

from desktop_app.forms.examples import example_values
from desktop_app.sync.api_client import Receipted

from .statistics_page import open_statistics

pytestmark = pytest.mark.gui


def _refresh(qtbot, view) -> bool:
    with qtbot.waitSignal(view.fetchFinished, timeout=15000) as finished:
        view.refresh_button.click()
        assert not view.refresh_button.isEnabled()  # until the answer is in
    assert view.refresh_button.isEnabled()
    return finished.args[0]


def test_refresh_fetches_stores_and_shows_the_answer(qtbot, services, session, server):
    _, view = open_statistics(qtbot, services, session)
    assert view.empty_title.text() == "No statistics on this computer yet"
    assert _refresh(qtbot, view) is True
    cached = services.cache.statistics.load(session.username)
    assert cached is not None
    # A fresh server has computed nothing yet; the page reloads from the cache on
    # StatisticsUpdated and says so.
    assert cached.as_of is None and cached.payload["registries"] == []
    qtbot.waitUntil(
        lambda: view.empty_title.text().startswith("The registry has not computed"),
        timeout=10000,
    )
    assert "no statistics for your unit yet" in view.notice.text()

    # Six breast messages this month, the job run as of next month: real figures.
    from registry_server.jobs.runner import run_jobs

    catalogue = services.catalogue
    definition = catalogue.latest("breast", "assessment")
    rng = random.Random(3)
    for _ in range(6):
        body = {
            "message_id": str(uuid.uuid4()),
            "registry": "breast",
            "form": "assessment",
            "version": definition.version,
            "values": definition.submitted_values(example_values(definition, rng)),
        }
        assert isinstance(services.api.submit(session.token(), body, str(uuid.uuid4())), Receipted)
    next_month = (date.today().replace(day=1) + timedelta(days=32)).replace(day=2)
    run_jobs(server.session_factory, catalogue, next_month)
    assert _refresh(qtbot, view) is True
    assert services.cache.statistics.load(session.username).payload["registries"]
    qtbot.waitUntil(lambda: view.stack.currentIndex() == view.CONTENT, timeout=10000)
    assert view.registry == "breast"
    card = next(c for c in view.cards.cards if c.indicator_id == "breast.messages_received")
    assert card.value.text() == "6"


def test_refresh_without_the_server_keeps_what_is_shown_and_says_why(
    qtbot, services, session, server
):
    _, view = open_statistics(qtbot, services, session)
    server.stop()
    assert _refresh(qtbot, view) is False
    assert "cannot be reached" in view.notice.text()
    assert services.cache.statistics.load(session.username) is None
    assert view.empty_title.text() == "No statistics on this computer yet"


def test_refresh_with_a_refused_sign_in_asks_to_sign_in_again(qtbot, services, session, server):
    _, view = open_statistics(qtbot, services, session)
    server.expire_tokens(session.username)
    assert _refresh(qtbot, view) is False
    assert "did not accept your sign-in" in view.notice.text()


def test_the_sync_engine_fills_the_page_by_itself(qtbot, services, user, session):
    user.start_sync()
    _, view = open_statistics(qtbot, services, user)
    qtbot.waitUntil(
        lambda: services.cache.statistics.load(session.username) is not None, timeout=15000
    )
    qtbot.waitUntil(
        lambda: (
            view.empty_title.text() != "No statistics on this computer yet"
            or view.stack.currentIndex() == view.CONTENT
        ),
        timeout=10000,
    )
