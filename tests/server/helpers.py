"""Small helpers shared by the server tests: signing in and making message bodies."""

from __future__ import annotations

import datetime
import random
import uuid
from collections.abc import Iterable
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.forms import FormDefinition, example_values, load_catalogue, transfer_flags
from registry_server.models import Message, Receipt

_CATALOGUE = load_catalogue()


def catalogue():
    """The catalogue the server loads (the same files), loaded once for the tests."""
    return _CATALOGUE


def breast_assessment() -> FormDefinition:
    return _CATALOGUE.latest("breast", "assessment")


def sign_in(client: httpx.Client, username: str = "demo", password: str = "demo") -> dict:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


# The demo user's unit (Ullevål, surgery): the server takes messages only for the sender's unit.
DEMO_ENVELOPE = {"region": "1", "hospital": "0320", "department": "surgery"}


def valid_body(seed: int = 1, **values: Any) -> dict:
    """A breast assessment body of the demo user's unit that passes validation; `values`
    override single answers."""
    return body_for(breast_assessment(), seed, fixed=DEMO_ENVELOPE, **values)


def body_for(
    definition: FormDefinition,
    seed: int = 1,
    *,
    today: datetime.date | None = None,
    fixed: dict[str, Any] | None = None,
    **values: Any,
) -> dict:
    """A body on `definition` that passes validation on `today`; `fixed` answers are kept
    while the others are drawn, `values` override answers afterwards."""
    answers = definition.submitted_values(
        example_values(definition, random.Random(seed), today=today, fixed=fixed)
    )
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


def _childhood_forms() -> list[FormDefinition]:
    forms = catalogue()
    return [
        d
        for d in forms.forms()
        if d.registry == "childhood" and forms.latest(d.registry, d.form).version == d.version
    ]


def reservation_field(definition: FormDefinition) -> str:
    candidates = [
        f.id for f in definition.fields() if f.type == "yes_no_unknown" and "nopho" in f.id
    ]
    assert len(candidates) == 1, f"no single NOPHO-Care reservation field in {definition.key}"
    return candidates[0]


def eligible_body(seed_from: int = 0) -> tuple[FormDefinition, dict]:
    """A valid childhood message whose flags allow transfer to NOPHO-Care."""
    for definition in _childhood_forms():
        for seed in range(seed_from, seed_from + 40):
            body = body_for(definition, seed)
            if transfer_flags(definition, body["values"])["nopho_care"]:
                return definition, body
    raise AssertionError("No childhood form gives a message eligible for NOPHO-Care transfer.")


# Batches and what is stored -----------------------------------------------------------------

BATCH_PATH = "/api/v1/messages/batch"


def batch_item(body: Any, key: Any = None) -> dict:
    """One item of a batch request; a fresh key unless `key` is given (any JSON value)."""
    return {"idempotency_key": str(uuid.uuid4()) if key is None else key, "message": body}


def submit_batch(client: httpx.Client, headers: dict, payload: Any) -> httpx.Response:
    """POST /messages/batch: `payload` is a list of items, another JSON value, or raw bytes."""
    if isinstance(payload, bytes):
        return client.post(
            BATCH_PATH, content=payload, headers={**headers, "Content-Type": "application/json"}
        )
    if isinstance(payload, list):
        payload = {"items": payload}
    return client.post(BATCH_PATH, json=payload, headers=headers)


def rows_per_key(session_factory: sessionmaker[Session], keys: Iterable[str]) -> dict[str, int]:
    """{key: number of stored messages under it} for every key asked about (0 if none)."""
    keys = list(keys)
    with session_factory() as session:
        stored = session.execute(
            select(Message.idempotency_key, func.count())
            .where(Message.idempotency_key.in_(keys))
            .group_by(Message.idempotency_key)
        ).all()
    counts = dict.fromkeys(keys, 0)
    counts.update({key: count for key, count in stored})
    return counts


def stored_message_ids(session_factory: sessionmaker[Session], message_ids: Iterable[str]) -> set:
    """Which of `message_ids` are stored (as messages, and each with its receipt)."""
    ids = list(message_ids)
    with session_factory() as session:
        messages = set(
            session.scalars(select(Message.message_id).where(Message.message_id.in_(ids)))
        )
        receipts = set(
            session.scalars(select(Receipt.message_id).where(Receipt.message_id.in_(ids)))
        )
    assert messages == receipts, "a message without its receipt (or the reverse) was stored"
    return messages


def stored_receipt(session_factory: sessionmaker[Session], key: str) -> dict:
    """The receipt of the message stored under `key`, as the API shows it."""
    with session_factory() as session:
        receipt = session.scalar(
            select(Receipt)
            .join(Message, Message.message_id == Receipt.message_id)
            .where(Message.idempotency_key == key)
        )
        assert receipt is not None, f"nothing is stored under key {key}"
        return receipt.to_dict()
