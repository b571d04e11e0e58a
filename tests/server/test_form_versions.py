"""An older form version is accepted until the end of its grace period, then refused.

The server's date is moved with `LiveServer.set_today`, never by waiting.
"""

from __future__ import annotations

import datetime
import uuid

import httpx

from desktop_app.forms import FormDefinition
from tests.server.helpers import body_for, breast_assessment, catalogue, sign_in, submit
from tests.support.live_server import LiveServer

ONE_DAY = datetime.timedelta(days=1)


def _superseded() -> tuple[FormDefinition, FormDefinition, datetime.date]:
    """(an older version, the latest version of the same form, the older one's last day)."""
    forms = catalogue()
    for definition in forms.forms():
        until = forms.accepted_until(definition.registry, definition.form, definition.version)
        if until is not None:
            return definition, forms.latest(definition.registry, definition.form), until
    raise AssertionError("The catalogue should hold a form version with a grace period.")


def test_an_older_version_is_accepted_up_to_its_last_day(
    client: httpx.Client, live_server: LiveServer
) -> None:
    old, _, until = _superseded()
    headers = sign_in(client)
    today = min(until, datetime.date.today())
    live_server.set_today(today)

    response = submit(client, headers, body_for(old, 1, today=today))
    assert response.status_code == 201, response.text

    live_server.set_today(until)  # the last day of the grace period still counts
    response = submit(client, headers, body_for(old, 2, today=today))
    assert response.status_code == 201, response.text
    assert response.json()["version"] == old.version
    assert live_server.message_count() == 2


def test_an_older_version_is_refused_after_its_grace_period_naming_the_version_to_use(
    client: httpx.Client, live_server: LiveServer
) -> None:
    old, latest, until = _superseded()
    headers = sign_in(client)
    live_server.set_today(until + ONE_DAY)

    response = submit(client, headers, body_for(old, 1, today=until))

    assert response.status_code == 422
    data = response.json()
    assert f"version {old.version} is no longer accepted" in data["detail"]
    assert f"use version {latest.version}" in data["detail"]
    assert until.isoformat() in data["detail"]
    assert data["latest_version"] == latest.version
    assert data["issues"] == []
    # ... while the latest version is accepted on that same day.
    response = submit(client, headers, body_for(latest, 1, today=until))
    assert response.status_code == 201, response.text
    assert live_server.message_count() == 1


def test_a_message_accepted_in_the_grace_period_replays_after_it(
    client: httpx.Client, live_server: LiveServer
) -> None:
    old, _, until = _superseded()
    headers = sign_in(client)
    live_server.set_today(until)
    body, key = body_for(old, 3, today=min(until, datetime.date.today())), str(uuid.uuid4())
    first = submit(client, headers, body, key)
    assert first.status_code == 201, first.text

    live_server.set_today(until + 30 * ONE_DAY)
    replay = submit(client, headers, body, key)

    # A retry of a message the server already took must never turn into a refusal.
    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert live_server.message_count() == 1


def test_the_server_date_also_decides_which_dates_are_in_the_future(
    client: httpx.Client, live_server: LiveServer
) -> None:
    headers = sign_in(client)
    body = body_for(breast_assessment(), 4)  # dates up to the real today
    live_server.set_today(datetime.date.today() - 800 * ONE_DAY)

    response = submit(client, headers, body)

    assert response.status_code == 422
    assert "date.in_future" in {issue["key"] for issue in response.json()["issues"]}
