"""What the reminder job reads: the reminders already made, the messages already sent (per
unit, registry, form and patient), the expected cases due, and the trigger messages of
message-triggered rules with their answers as the newest form version names them."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, func, select
from sqlalchemy.orm import Session

from desktop_app.forms import Catalogue
from desktop_app.forms.dates import date_value
from desktop_app.reminder_rules import ReminderRules, Rule
from registry_server.local_time import local_date
from registry_server.models import ExpectedCase, Message, Reminder

# (unit id, registry, form, patient id) -> the registry's local date the newest such message
# was received on: a message matches a trigger whose clinical date is on or before it.
SentIndex = dict[tuple[int, str, str, str], datetime.date]


def owed_messages(session: Session) -> set[tuple[int, str, str, str]]:
    rows = session.execute(
        select(Reminder.unit_id, Reminder.registry_code, Reminder.form, Reminder.patient_id).where(
            Reminder.resolved_at.is_(None), Reminder.patient_id.is_not(None)
        )
    )
    return {(unit, registry, form, patient) for unit, registry, form, patient in rows}


def existing_keys(session: Session) -> set[str]:
    return set(session.scalars(select(Reminder.dedup_key).where(Reminder.dedup_key.is_not(None))))


def sent_index(session: Session, rules: ReminderRules) -> SentIndex:
    """The day the newest message per unit, registry, form and patient was received, for the
    forms rules owe."""
    owed = {(rule.registry, rule.form) for rule in rules.rules}
    rows = session.execute(
        select(
            Message.unit_id,
            Message.registry_code,
            Message.form,
            Message.patient_id,
            # As text on SQLite (parsed below with fromisoformat, far faster than the
            # DateTime type's parser over 20,000 rows); a datetime from PostgreSQL.
            func.max(Message.received_at, type_=String),
        )
        .where(
            Message.patient_id.is_not(None),
            Message.registry_code.in_({registry for registry, _ in owed}),
            Message.form.in_({form for _, form in owed}),
        )
        .group_by(Message.unit_id, Message.registry_code, Message.form, Message.patient_id)
    )
    index: SentIndex = {}
    for unit_id, registry, form, patient_id, newest in rows:
        if (registry, form) in owed:
            index[(unit_id, registry, form, patient_id)] = local_date(_utc(newest))
    return index


def _utc(moment: datetime.datetime | str) -> datetime.datetime:
    """max(received_at): the stored text (SQLite, UTC without an offset) or a datetime."""
    if isinstance(moment, str):
        moment = datetime.datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def due_cases(session: Session, rule: Rule, today: datetime.date) -> Iterator[Any]:
    latest = today - datetime.timedelta(days=rule.remind_after_days)
    return iter(
        session.execute(
            select(
                ExpectedCase.id,
                ExpectedCase.unit_id,
                ExpectedCase.patient_id,
                ExpectedCase.case_id,
                ExpectedCase.patient_name,
                ExpectedCase.event_date,
                ExpectedCase.source,
            ).where(
                ExpectedCase.registry_code == rule.registry,
                ExpectedCase.event == rule.event,
                ExpectedCase.unit_id.is_not(None),
                ExpectedCase.event_date <= latest,
            )
        ).all()
    )


def by_trigger_form(rules: list[Rule]) -> dict[tuple[str, str], list[Rule]]:
    groups: dict[tuple[str, str], list[Rule]] = {}
    for rule in rules:
        assert rule.message is not None
        groups.setdefault((rule.registry, rule.message.form), []).append(rule)
    return groups


@dataclass(frozen=True)
class Trigger:
    """A received message of a rule's trigger form; its answers are read only when a rule
    still needs it (most triggers were settled by an earlier run)."""

    id: int
    message_id: str
    unit_id: int
    patient_id: str | None
    body: str = field(repr=False)
    version: int
    registry: str
    form: str
    catalogue: Catalogue = field(repr=False)

    def values(self) -> dict:
        """The answers as the newest version names them (the names the rules use)."""
        try:
            values = json.loads(self.body).get("values")
        except (ValueError, AttributeError):
            return {}
        if not isinstance(values, dict):
            return {}
        return dict(self.catalogue.current_values(values, self.registry, self.form, self.version))


def trigger_messages(
    session: Session, catalogue: Catalogue, registry: str, form: str
) -> Iterator[Trigger]:
    rows = session.execute(
        select(
            Message.id,
            Message.message_id,
            Message.unit_id,
            Message.patient_id,
            Message.body,
            Message.version,
        ).where(Message.registry_code == registry, Message.form == form)
    ).all()
    return iter([Trigger(*row, registry, form, catalogue) for row in rows])


def trigger_date(values: dict, date_field: str, group: str | None) -> datetime.date | None:
    """The date that starts the clock: the field, or for a row field the earliest date among
    the group's rows."""
    if group is None:
        return date_value(values.get(date_field))
    rows = values.get(group)
    if not isinstance(rows, list):
        return None
    dates = [d for row in rows if isinstance(row, dict) and (d := date_value(row.get(date_field)))]
    return min(dates, default=None)
