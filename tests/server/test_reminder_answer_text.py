"""POST /reminders/{id}/answer with text PostgreSQL (or a reader) cannot take: a reason with
control characters, or that is not Unicode text, is a 422 with a sentence, never a 500, on
SQLite and PostgreSQL; tabs and line breaks are kept."""

from __future__ import annotations

import json

import httpx
import pytest

from registry_server.models import Reminder
from tests.server.helpers import sign_in
from tests.support.live_server import LiveServer


def _client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, verify=server.ssl_context(), timeout=10)


@pytest.mark.parametrize(
    "reason", ["Not\u0000ours", "\u0007Bell", "Esc\u001b[1m", "Next\u0085line"]
)
def test_a_reason_with_control_characters_is_a_422(any_server: LiveServer, reason: str) -> None:
    reminder_id = any_server.add_reminder(
        "demo", registry="breast", form="assessment", patient_id="01010150000"
    )
    with _client(any_server) as client:
        response = client.post(
            f"/api/v1/reminders/{reminder_id}/answer",
            # Sent as JSON text: \\u escapes, as a client would put them on the wire.
            content=json.dumps({"answer": "not_ours", "reason": reason}).encode("ascii"),
            headers={**sign_in(client), "Content-Type": "application/json"},
        )
    assert response.status_code == 422, response.text
    assert set(response.json()) == {"detail"}
    assert "control character" in response.json()["detail"]
    with any_server.session_factory() as session:
        assert session.get(Reminder, reminder_id).answer is None


def test_a_reason_that_is_not_unicode_text_is_a_422(any_server: LiveServer) -> None:
    reminder_id = any_server.add_reminder(
        "demo", registry="breast", form="assessment", patient_id="01010150000"
    )
    with _client(any_server) as client:
        response = client.post(
            f"/api/v1/reminders/{reminder_id}/answer",
            content=b'{"answer": "not_ours", "reason": "\\ud800 half a character"}',
            headers={**sign_in(client), "Content-Type": "application/json"},
        )
    assert response.status_code == 422, response.text
    assert set(response.json()) == {"detail"}


def test_a_reason_on_several_lines_is_kept(any_server: LiveServer) -> None:
    reminder_id = any_server.add_reminder(
        "demo", registry="breast", form="assessment", patient_id="01010150000"
    )
    reason = "Treated at Haukeland.\n\tSee the referral of 3 May."
    with _client(any_server) as client:
        response = client.post(
            f"/api/v1/reminders/{reminder_id}/answer",
            json={"answer": "not_ours", "reason": reason},
            headers=sign_in(client),
        )
    assert response.status_code == 200, response.text
    with any_server.session_factory() as session:
        assert session.get(Reminder, reminder_id).answer_reason == reason
