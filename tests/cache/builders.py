"""Small builders for messages in each state, through the public repository API."""

from __future__ import annotations

import uuid

from local_cache import Cache, MessageRecord

OWNER = "clinician.a"


def body_for(record: MessageRecord, values: dict | None = None) -> dict:
    return {
        "message_id": record.id,
        "registry": record.registry,
        "form": record.form,
        "version": record.form_version,
        "values": record.values if values is None else values,
    }


def receipt_for(record: MessageRecord, receipt_id: str | None = None) -> dict:
    return {
        "receipt_id": receipt_id or str(uuid.uuid4()),
        "message_id": record.id,
        "registry": record.registry,
        "form": record.form,
        "version": record.form_version,
        "received_at": "2025-03-01T10:15:00Z",
        "body_sha256": "ab" * 32,
        "unit_id": "unit-1",
    }


def draft(cache: Cache, values: dict | None = None, owner: str = OWNER) -> MessageRecord:
    return cache.messages.create_draft(owner, "breast", "assessment", 1, values or {"a": "1"})


def queued(cache: Cache, owner: str = OWNER) -> MessageRecord:
    record = draft(cache, owner=owner)
    return cache.messages.submit(record.id, body_for(record))


def sending(cache: Cache, owner: str = OWNER) -> MessageRecord:
    """A new message in 'sending' (any message the owner had queued is claimed as well)."""
    record = queued(cache, owner)
    claimed = {c.id: c for c in cache.messages.claim_for_sending(owner)}
    return claimed[record.id]
