"""The unit's reminders: GET /reminders (the open ones) and POST /reminders/{id}/answer ("not
ours" / "patient moved", with a reason). Never another unit's: its reminder is a 404 exactly
like an unknown one."""

from __future__ import annotations

import logging
import re

from fastapi import APIRouter, HTTPException
from sqlalchemy import select, update

from registry_server.deps import PrincipalDep, SessionDep, SettingsDep
from registry_server.models import Reminder, iso_utc, utcnow
from registry_server.schemas import (
    Problem,
    ReminderAnswerIn,
    ReminderAnswerOut,
    ReminderList,
)

log = logging.getLogger(__name__)

router = APIRouter(tags=["reminders"])

_REMINDER_ID = re.compile(r"[0-9a-zA-Z-]{1,36}")

_NOT_FOUND = (
    "There is no such reminder for your unit; fetch the reminders again (it may have been "
    "resolved)."
)


@router.get("/reminders", response_model=ReminderList)
def list_reminders(session: SessionDep, principal: PrincipalDep, settings: SettingsDep) -> dict:
    fetched_at = utcnow()
    today = settings.today()
    rows = session.scalars(
        select(Reminder)
        .where(
            Reminder.unit_id == principal.unit_id,
            Reminder.resolved_at.is_(None),
            Reminder.answer.is_(None),
        )
        .order_by(Reminder.due_date, Reminder.created_at, Reminder.id)
    ).all()
    return {
        "reminders": [r.to_dict(today) for r in rows],
        "fetched_at": iso_utc(fetched_at),
    }


@router.post(
    "/reminders/{reminder_id}/answer",
    response_model=ReminderAnswerOut,
    responses={404: {"model": Problem}, 409: {"model": Problem}, 422: {"model": Problem}},
)
def answer_reminder(
    reminder_id: str, answer: ReminderAnswerIn, session: SessionDep, principal: PrincipalDep
) -> dict:
    """Record that the reminder is not the unit's to answer, and why. The same answer again
    is answered as the first time; another answer, or a reminder a message already resolved,
    is a 409."""
    if not _REMINDER_ID.fullmatch(reminder_id):
        raise HTTPException(404, _NOT_FOUND)  # not an id this server gives (nor NUL and such)
    now = utcnow()
    # One conditional UPDATE: two answers at once cannot both win.
    taken = session.execute(
        update(Reminder)
        .where(
            Reminder.id == reminder_id,
            Reminder.unit_id == principal.unit_id,
            Reminder.answer.is_(None),
            Reminder.resolved_at.is_(None),
        )
        .values(
            answer=answer.answer,
            answer_reason=answer.reason,
            answered_by=principal.username,
            answered_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    reminder = session.scalar(
        select(Reminder).where(Reminder.id == reminder_id, Reminder.unit_id == principal.unit_id)
    )
    if reminder is None:
        raise HTTPException(404, _NOT_FOUND)
    if not taken:
        if reminder.answer is None:
            raise HTTPException(
                409,
                "A message from your unit has already resolved this reminder; nothing more "
                "is needed.",
            )
        if reminder.answer != answer.answer:
            raise HTTPException(
                409,
                f"This reminder was already answered ({reminder.answer.replace('_', ' ')}); "
                "it cannot be answered differently. Contact the registry if that was wrong.",
            )
    else:
        # Audit: who answered what, never the patient or the free-text reason.
        log.info(
            "Reminder %s answered %s by %s (unit %s)",
            reminder.id,
            reminder.answer,
            principal.username,
            principal.unit_id,
        )
    assert reminder.answered_at is not None
    return {
        "id": reminder.id,
        "answer": reminder.answer,
        "answered_at": iso_utc(reminder.answered_at),
    }
