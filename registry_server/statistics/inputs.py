"""What the statistics job reads: units and places, messages (each body decoded once),
expected cases and reminders, in a handful of queries.

Places: a unit's hospital is `Unit.hospital_code`; a hospital's health region is the
`region` attribute of its entry in the `hospitals` code list (resources/codelists).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.forms import Catalogue
from registry_server.local_time import local_date
from registry_server.models import ExpectedCase, Message, Reminder, Unit


@dataclass(frozen=True)
class Places:
    """Where units, hospitals and regions are, and their names."""

    unit_hospital: Mapping[int, str]  # unit id -> hospital code
    hospital_region: Mapping[str, str]  # hospital code -> region code
    hospital_names: Mapping[str, str]  # hospital code -> name (nb)
    region_names: Mapping[str, str]  # region code -> name (nb)

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue, units: Mapping[int, str]) -> Places:
        hospitals = catalogue.code_list("hospitals").entries
        regions = catalogue.code_list("regions").entries
        return cls(
            unit_hospital=dict(units),
            hospital_region={e.code: str(e.attributes.get("region", "")) for e in hospitals},
            hospital_names={e.code: e.label_text("nb") for e in hospitals},
            region_names={e.code: e.label_text("nb") for e in regions},
        )

    def keys(self, unit_id: int | None, hospital: str | None = None) -> list[tuple[str, str]]:
        """The (level, key) cells one counted thing adds to: its unit (if any), hospital,
        region (if the hospital has one) and the nation."""
        keys: list[tuple[str, str]] = []
        if unit_id is not None:
            keys.append(("unit", str(unit_id)))
            hospital = hospital or self.unit_hospital.get(unit_id)
        if hospital:
            keys.append(("hospital", hospital))
            region = self.hospital_region.get(hospital)
            if region:
                keys.append(("region", region))
        keys.append(("nation", ""))
        return keys


@dataclass
class StoredMessage:
    id: int
    message_id: str
    unit_id: int
    registry: str
    form: str
    version: int
    body: str
    patient_id: str | None
    reminder_id: str | None
    received_at: datetime.datetime
    _values: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def received_date(self) -> str:
        """The registry's local date (Europe/Oslo) the message was received on."""
        return local_date(self.received_at).isoformat()

    def values(self, catalogue: Catalogue) -> dict[str, Any]:
        """The answers, decoded once; an older version's moved to the latest as its
        migration declares (renamed fields keep counting)."""
        if self._values is None:
            values = json.loads(self.body).get("values") or {}
            if not isinstance(values, dict):
                values = {}
            self._values = dict(
                catalogue.current_values(values, self.registry, self.form, self.version)
            )
        return self._values


@dataclass(frozen=True)
class StoredExpected:
    id: int
    registry: str
    event: str
    event_date: datetime.date
    patient_id: str | None
    hospital_code: str
    unit_id: int | None


@dataclass(frozen=True)
class StoredReminder:
    id: str
    unit_id: int
    registry: str
    due_date: datetime.date
    event_date: datetime.date | None
    expected_case_id: int | None
    open: bool
    answered: bool = False  # the unit answered it (not ours, patient moved)


@dataclass
class Inputs:
    places: Places
    messages: list[StoredMessage]
    expected: list[StoredExpected]
    reminders: list[StoredReminder]


def read_inputs(session: Session, catalogue: Catalogue) -> Inputs:
    units = dict(session.execute(select(Unit.id, Unit.hospital_code)).all())
    messages = [
        StoredMessage(*row)
        for row in session.execute(
            select(
                Message.id,
                Message.message_id,
                Message.unit_id,
                Message.registry_code,
                Message.form,
                Message.version,
                Message.body,
                Message.patient_id,
                Message.reminder_id,
                Message.received_at,
            ).order_by(Message.received_at, Message.id)
        )
    ]
    expected = [
        StoredExpected(*row)
        for row in session.execute(
            select(
                ExpectedCase.id,
                ExpectedCase.registry_code,
                ExpectedCase.event,
                ExpectedCase.event_date,
                ExpectedCase.patient_id,
                ExpectedCase.hospital_code,
                ExpectedCase.unit_id,
            )
        )
    ]
    reminders = [
        StoredReminder(
            rid,
            unit,
            registry,
            due,
            event,
            case,
            resolved is None and answer is None,
            answer is not None,
        )
        for rid, unit, registry, due, event, case, resolved, answer in session.execute(
            select(
                Reminder.id,
                Reminder.unit_id,
                Reminder.registry_code,
                Reminder.due_date,
                Reminder.event_date,
                Reminder.expected_case_id,
                Reminder.resolved_at,
                Reminder.answer,
            )
        )
    ]
    return Inputs(Places.from_catalogue(catalogue, units), messages, expected, reminders)
