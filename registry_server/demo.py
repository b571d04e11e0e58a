"""Demo data: two units at two hospitals, a user in each, and open reminders (all synthetic)."""

from __future__ import annotations

import datetime
import logging
import random
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from registry_server.accounts import create_user, get_or_create_unit
from registry_server.db import take_startup_lock
from registry_server.models import Reminder, User, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoReminder:
    registry: str
    form: str
    patient_name: str  # obviously made up
    gender: str  # of the synthetic identity number: "F" or "M"
    reason: str
    due_in_days: int  # negative: overdue


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    display_name: str
    unit_name: str
    hospital_code: str
    hospital_name: str
    department: str
    reminders: tuple[DemoReminder, ...]


_NO_ASSESSMENT = "No assessment message received for a patient with a {} diagnosis from pathology."
_NO_SURGERY = "Surgery reported by the hospital's patient administration, but no surgery message."

DEMO_ACCOUNTS = (
    DemoAccount(
        username="demo",
        password="demo",
        display_name="Demo Doctor (Ullevål)",
        unit_name="Breast and endocrine surgery",
        hospital_code="0320",
        hospital_name="Oslo universitetssykehus Ullevål",
        department="surgery",
        reminders=(
            DemoReminder(
                "breast",
                "assessment",
                "Fiktiv, Kari Testpasient",
                "F",
                _NO_ASSESSMENT.format("breast cancer"),
                -14,
            ),
            DemoReminder(
                "breast",
                "assessment",
                "Prøve, Ingrid Demodata",
                "F",
                _NO_ASSESSMENT.format("breast cancer"),
                7,
            ),
            DemoReminder("breast", "surgery", "Eksempel, Anne Fiktivsen", "F", _NO_SURGERY, 3),
            DemoReminder("breast", "surgery", "Testesen, Liv Oppdiktet", "F", _NO_SURGERY, 21),
            DemoReminder(
                "breast",
                "follow_up",
                "Oppdiktet, Sigrid Prøvesen",
                "F",
                "Surgery message received a year ago, but no follow-up message.",
                5,
            ),
        ),
    ),
    DemoAccount(
        username="bergen",
        password="demo",
        display_name="Demo Doctor (Haukeland)",
        unit_name="Oncology",
        hospital_code="1305",
        hospital_name="Haukeland universitetssjukehus",
        department="oncology",
        reminders=(
            DemoReminder(
                "lymphoid",
                "assessment",
                "Fiktiv, Per Testpasient",
                "M",
                _NO_ASSESSMENT.format("lymphoma"),
                -3,
            ),
            DemoReminder(
                "breast",
                "oncological_treatment",
                "Prøve, Berit Demodata",
                "F",
                "Radiotherapy registered, but no oncological treatment message.",
                10,
            ),
            DemoReminder(
                "lymphoid",
                "treatment",
                "Eksempel, Nils Fiktivsen",
                "M",
                "No treatment message within 90 days of the assessment message.",
                30,
            ),
            DemoReminder(
                "lymphoid",
                "response",
                "Oppdiktet, Hans Eksempel",
                "M",
                "Treatment reported as finished, but no response evaluation message.",
                20,
            ),
            DemoReminder(
                "sarcoma",
                "assessment",
                "Testmann, Ola Fiktiv",
                "M",
                _NO_ASSESSMENT.format("soft-tissue sarcoma"),
                -7,
            ),
            DemoReminder(
                "sarcoma",
                "radiotherapy",
                "Demodata, Sofie Prøve",
                "F",
                "Radiotherapy registered, but no sarcoma radiotherapy message.",
                12,
            ),
        ),
    ),
)


def _form_for(catalogue, registry: str, form: str) -> tuple[str, str]:
    """The demo's (registry, form) if the catalogue has it, else the nearest form it has, so
    every demo reminder opens a real form."""
    available = [(d.registry, d.form) for d in catalogue.forms()]
    if (registry, form) in available or not available:
        return registry, form
    same_registry = [pair for pair in available if pair[0] == registry]
    return (same_registry or available)[0]


def seed_demo(session_factory: sessionmaker[Session], catalogue=None) -> list[DemoAccount]:
    """Create the demo units, users and reminders that are missing; safe to run at every start.

    A reminder is known by its unit and made-up patient name: one the demo resolved stays
    resolved after a restart, and reminders added to the demo later appear in an old database.
    """
    # Imported here: the server needs desktop_app.forms only for demo data and validation.
    from desktop_app.forms import load_catalogue
    from desktop_app.forms.identity import generate_identity_number

    catalogue = catalogue if catalogue is not None else load_catalogue()
    today = datetime.date.today()
    with session_factory() as session:
        # Another process starting on the same database waits here until this one's demo data
        # is committed, then finds it all in place.
        take_startup_lock(session)
        for account in DEMO_ACCOUNTS:
            unit, _ = get_or_create_unit(
                session,
                name=account.unit_name,
                hospital_code=account.hospital_code,
                hospital_name=account.hospital_name,
                department=account.department,
            )
            if session.scalar(select(User.id).filter_by(username=account.username)) is None:
                create_user(
                    session,
                    username=account.username,
                    password=account.password,
                    display_name=account.display_name,
                    unit=unit,
                )
            known = set(
                session.scalars(select(Reminder.patient_name).where(Reminder.unit_id == unit.id))
            )
            for spec in account.reminders:
                if spec.patient_name in known:
                    continue
                # Seeded per patient: the same synthetic number on every fresh database,
                # whatever the order of the reminders above.
                rng = random.Random(f"demo:{account.username}:{spec.patient_name}")
                born = datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(40 * 365))
                registry, form = _form_for(catalogue, spec.registry, spec.form)
                session.add(
                    Reminder(
                        id=str(uuid.uuid4()),
                        unit_id=unit.id,
                        registry_code=registry,
                        form=form,
                        patient_id=generate_identity_number(rng, born, gender=spec.gender),
                        patient_name=spec.patient_name,
                        reason=spec.reason,
                        due_date=today + datetime.timedelta(days=spec.due_in_days),
                        created_at=utcnow(),
                    )
                )
        session.commit()
    log.info("Demo data is in place")
    return list(DEMO_ACCOUNTS)
