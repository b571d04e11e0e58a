"""GET /reminders: the unit's open reminders for messages the registry expects."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from registry_server.deps import PrincipalDep, SessionDep
from registry_server.models import Reminder, iso_utc, utcnow
from registry_server.schemas import ReminderList

router = APIRouter(tags=["reminders"])


@router.get("/reminders", response_model=ReminderList)
def list_reminders(session: SessionDep, principal: PrincipalDep) -> dict:
    fetched_at = utcnow()
    rows = session.scalars(
        select(Reminder)
        .where(Reminder.unit_id == principal.unit_id, Reminder.resolved_at.is_(None))
        .order_by(Reminder.due_date, Reminder.created_at, Reminder.id)
    ).all()
    return {
        "reminders": [r.to_dict() for r in rows],
        "fetched_at": iso_utc(fetched_at),
    }
