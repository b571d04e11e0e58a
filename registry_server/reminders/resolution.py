"""A receipted message resolves the reminders it answers: one definition of the match, used
when a message is stored (submissions.insert_new) and by the job for messages that arrived
while it ran."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Table, bindparam, or_
from sqlalchemy.orm import Session

from registry_server.models import Reminder

_REMINDERS: Table = Reminder.__table__  # type: ignore[assignment]

# The unit's open reminders of the message's registry and form for its patient, and the
# reminder it was made from (the only match for a patient without a Norwegian number).
# Never another unit's: the unit is part of the match.
_RESOLVE = (
    _REMINDERS.update()
    .where(
        _REMINDERS.c.unit_id == bindparam("b_unit"),
        _REMINDERS.c.resolved_at.is_(None),
        _REMINDERS.c.registry == bindparam("b_registry"),
        _REMINDERS.c.form == bindparam("b_form"),
        or_(
            _REMINDERS.c.patient_id == bindparam("b_patient"),
            _REMINDERS.c.id == bindparam("b_reminder"),
        ),
    )
    .values(resolved_at=bindparam("b_at"), resolved_by_message_id=bindparam("b_message"))
)


@dataclass(frozen=True)
class Answering:
    """What of a stored message decides which reminders it answers."""

    unit_id: int
    registry: str
    form: str
    patient_id: str | None
    reminder_id: str | None
    message_id: str
    received_at: datetime.datetime


def resolve_answered(session: Session, messages: Sequence[Answering]) -> int:
    """Resolve the open reminders `messages` answer, in the caller's transaction; returns how
    many were resolved."""
    params = [
        {
            "b_unit": m.unit_id,
            "b_registry": m.registry,
            "b_form": m.form,
            "b_patient": m.patient_id,
            "b_reminder": m.reminder_id,
            "b_message": m.message_id,
            "b_at": m.received_at,
        }
        for m in messages
        if m.patient_id or m.reminder_id
    ]
    if not params:
        return 0
    return max(session.execute(_RESOLVE, params).rowcount, 0)
