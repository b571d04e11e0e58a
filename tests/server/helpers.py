"""Small helpers shared by the server tests: signing in and making message bodies."""

from __future__ import annotations

import random
import uuid
from typing import Any

import httpx

from desktop_app.forms import FormDefinition, example_values, load_catalogue

_CATALOGUE = load_catalogue()


def breast_assessment() -> FormDefinition:
    return _CATALOGUE.latest("breast", "assessment")


def sign_in(client: httpx.Client, username: str = "demo", password: str = "demo") -> dict:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def valid_body(seed: int = 1, **values: Any) -> dict:
    """A message body that passes validation; `values` override single answers."""
    definition = breast_assessment()
    answers = definition.submitted_values(example_values(definition, random.Random(seed)))
    answers.update(values)
    return {
        "message_id": str(uuid.uuid4()),
        "registry": definition.registry,
        "form": definition.form,
        "version": definition.version,
        "values": answers,
    }


def submit(
    client: httpx.Client, headers: dict, body: dict | bytes, key: str | None = None
) -> httpx.Response:
    key_header = {"Idempotency-Key": key or str(uuid.uuid4())}
    if isinstance(body, bytes):
        return client.post(
            "/api/v1/messages",
            content=body,
            headers={**headers, **key_header, "Content-Type": "application/json"},
        )
    return client.post("/api/v1/messages", json=body, headers={**headers, **key_header})
