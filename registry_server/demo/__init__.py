"""Demo data: two units at two hospitals and a user in each (all synthetic).

`seed_demo` makes the accounts (every demo server, and the tests' live server); the national
demo year of cases, notifications and messages is `registry_server.demo.national`
(`registry-server --demo`). Reminders are not written here: the reminder job computes them
from the expected cases and messages.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from registry_server.accounts import create_user, get_or_create_unit
from registry_server.db import take_startup_lock
from registry_server.models import User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    display_name: str
    unit_name: str
    hospital_code: str
    hospital_name: str
    department: str
    registries: tuple[str, ...]  # what the unit reports to (Unit.registries)


DEMO_ACCOUNTS = (
    DemoAccount(
        username="demo",
        password="demo",
        display_name="Demo Doctor (Ullevål)",
        unit_name="Breast and endocrine surgery",
        hospital_code="0320",
        hospital_name="Oslo universitetssykehus, Ullevål",
        department="surgery",
        registries=("breast",),
    ),
    DemoAccount(
        username="bergen",
        password="demo",
        display_name="Demo Doctor (Haukeland)",
        unit_name="Oncology",
        hospital_code="1305",
        hospital_name="Helse Bergen, Haukeland universitetssjukehus",
        department="oncology",
        # Breast: the oncological treatment of Haukeland's breast cancer patients.
        registries=("breast", "lymphoid", "sarcoma"),
    ),
)


def seed_demo(session_factory: sessionmaker[Session], catalogue=None) -> list[DemoAccount]:
    """Create the demo units and users that are missing; safe to run at every start. A unit
    that reports to no registry yet is given the demo's registries.

    `catalogue` is accepted for callers of the older signature and not used."""
    del catalogue
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
            if not json.loads(unit.registries or "[]"):
                unit.registries = json.dumps(list(account.registries))
            if session.scalar(select(User.id).filter_by(username=account.username)) is None:
                create_user(
                    session,
                    username=account.username,
                    password=account.password,
                    display_name=account.display_name,
                    unit=unit,
                )
        session.commit()
    log.info("Demo accounts are in place")
    return list(DEMO_ACCOUNTS)
