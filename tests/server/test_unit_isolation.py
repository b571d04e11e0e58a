"""A user sees only their own unit's receipts and reminders."""

from __future__ import annotations

import uuid

import httpx

from tests.server.helpers import sign_in, submit, valid_body
from tests.support.live_server import LiveServer


def test_reminders_are_per_unit(client: httpx.Client, live_server: LiveServer) -> None:
    oslo = client.get("/api/v1/reminders", headers=sign_in(client, "demo")).json()
    bergen = client.get("/api/v1/reminders", headers=sign_in(client, "bergen")).json()

    # The demo accounts start without reminders (the reminder job computes them).
    assert oslo["reminders"] == [] and bergen["reminders"] == []
    extra = live_server.add_reminder(
        "bergen", registry="breast", form="assessment", patient_id="01010150000"
    )
    oslo_again = client.get("/api/v1/reminders", headers=sign_in(client, "demo")).json()
    assert extra not in {r["id"] for r in oslo_again["reminders"]}


def test_receipts_are_per_unit_and_follow_the_cursor(
    client: httpx.Client, live_server: LiveServer
) -> None:
    live_server.settings.receipts_cursor_settle_s = 0  # the cursor follows every receipt at once
    oslo, bergen = sign_in(client, "demo"), sign_in(client, "bergen")
    first = submit(client, oslo, valid_body(seed=1)).json()
    theirs = submit(client, bergen, valid_body(seed=2)).json()

    page = client.get("/api/v1/receipts", headers=oslo).json()
    assert page["receipts"] == [first]
    second = submit(client, oslo, valid_body(seed=3)).json()
    newer = client.get("/api/v1/receipts", params={"since": page["cursor"]}, headers=oslo).json()
    assert newer["receipts"] == [second]
    empty = client.get("/api/v1/receipts", params={"since": newer["cursor"]}, headers=oslo).json()
    assert empty == {"receipts": [], "cursor": newer["cursor"]}

    assert client.get("/api/v1/receipts", headers=bergen).json()["receipts"] == [theirs]
    bad = client.get("/api/v1/receipts", params={"since": "abc"}, headers=oslo)
    assert bad.status_code == 400


def test_another_units_key_reveals_nothing(client: httpx.Client, live_server: LiveServer) -> None:
    body, key = valid_body(), str(uuid.uuid4())
    assert submit(client, sign_in(client, "demo"), body, key).status_code == 201

    response = submit(client, sign_in(client, "bergen"), body, key)

    assert response.status_code == 409
    assert "receipt_id" not in response.json()
    assert live_server.message_count() == 1
