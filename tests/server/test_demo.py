"""Demo data: two units at two hospitals, users that can sign in, valid synthetic patients."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import func, select

from desktop_app.forms import is_valid_identity_number, load_catalogue
from registry_server.db import make_engine, make_session_factory, upgrade_database
from registry_server.demo import DEMO_ACCOUNTS, seed_demo
from registry_server.models import Reminder, Unit, User
from tests.server.helpers import sign_in


def _counts(session_factory) -> tuple[int, int, int]:
    with session_factory() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (Unit, User, Reminder)
        )


def test_seeding_twice_changes_nothing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    upgrade_database(engine)
    session_factory = make_session_factory(engine)

    seed_demo(session_factory)
    first = _counts(session_factory)
    seed_demo(session_factory)

    assert _counts(session_factory) == first
    assert first[0] >= 2 and first[1] >= 2 and first[2] >= 6
    engine.dispose()


def test_demo_units_are_at_different_hospitals_with_valid_reminders(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    upgrade_database(engine)
    session_factory = make_session_factory(engine)
    seed_demo(session_factory)
    catalogue = load_catalogue()

    with session_factory() as session:
        units = session.scalars(select(Unit)).all()
        assert len({u.hospital_code for u in units}) >= 2
        for unit in units:
            reminders = session.scalars(select(Reminder).filter_by(unit_id=unit.id)).all()
            assert 3 <= len(reminders) <= 4
            for reminder in reminders:
                assert is_valid_identity_number(reminder.patient_id)
                assert reminder.resolved_at is None
                # Every reminder opens a form the server (and client) knows.
                catalogue.latest(reminder.registry_code, reminder.form)
    engine.dispose()


def test_demo_users_sign_in_to_their_units(client: httpx.Client) -> None:
    codes = set()
    for account in DEMO_ACCOUNTS:
        response = client.post(
            "/api/v1/auth/token",
            json={"username": account.username, "password": account.password},
        )
        assert response.status_code == 200
        codes.add(response.json()["user"]["unit"]["hospital_code"])
    assert codes == {"0320", "1305"}
    assert sign_in(client, "bergen", "demo")
