"""Demo data: two units at two hospitals, users that can sign in, valid synthetic patients."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import func, select

from desktop_app.forms import is_valid_identity_number, load_catalogue
from registry_server.db import make_engine, make_session_factory, upgrade_database
from registry_server.demo import DEMO_ACCOUNTS, seed_demo
from registry_server.models import Reminder, Unit, User, utcnow
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


def _seeded(path: Path):
    engine = make_engine(f"sqlite:///{path}")
    upgrade_database(engine)
    session_factory = make_session_factory(engine)
    seed_demo(session_factory)
    return engine, session_factory


def test_demo_units_are_at_different_hospitals_with_valid_reminders(tmp_path: Path) -> None:
    engine, session_factory = _seeded(tmp_path / "demo.sqlite3")
    catalogue = load_catalogue()

    with session_factory() as session:
        units = session.scalars(select(Unit)).all()
        assert len({u.hospital_code for u in units}) >= 2
        for account in DEMO_ACCOUNTS:
            unit = session.scalars(select(Unit).filter_by(name=account.unit_name)).one()
            reminders = session.scalars(select(Reminder).filter_by(unit_id=unit.id)).all()
            assert sorted(r.patient_name for r in reminders) == sorted(
                spec.patient_name for spec in account.reminders
            )
            for reminder in reminders:
                assert is_valid_identity_number(reminder.patient_id)
                assert reminder.resolved_at is None
                # Every reminder opens a form the server (and client) knows.
                catalogue.latest(reminder.registry_code, reminder.form)
    engine.dispose()


def test_demo_reminders_span_several_registries(tmp_path: Path) -> None:
    engine, session_factory = _seeded(tmp_path / "demo.sqlite3")

    with session_factory() as session:
        by_user = {
            account.username: {
                (r.registry_code, r.form)
                for r in session.scalars(
                    select(Reminder)
                    .join(Unit, Unit.id == Reminder.unit_id)
                    .where(Unit.name == account.unit_name)
                )
            }
            for account in DEMO_ACCOUNTS
        }
    assert ("breast", "follow_up") in by_user["demo"]
    registries_in_bergen = {registry for registry, _ in by_user["bergen"]}
    assert {"lymphoid", "sarcoma"} <= registries_in_bergen
    engine.dispose()


def test_demo_patients_are_the_same_on_every_fresh_database(tmp_path: Path) -> None:
    numbers = []
    for name in ("one.sqlite3", "two.sqlite3"):
        engine, session_factory = _seeded(tmp_path / name)
        with session_factory() as session:
            numbers.append(
                {r.patient_name: r.patient_id for r in session.scalars(select(Reminder))}
            )
        engine.dispose()
    assert numbers[0] == numbers[1]
    assert len(set(numbers[0].values())) == len(numbers[0])


def test_reseeding_keeps_resolved_reminders_resolved_and_adds_missing_ones(
    tmp_path: Path,
) -> None:
    engine, session_factory = _seeded(tmp_path / "demo.sqlite3")
    with session_factory() as session:
        resolved, removed = session.scalars(select(Reminder).order_by(Reminder.patient_name)).all()[
            :2
        ]
        resolved.resolved_at = utcnow()
        session.delete(removed)  # as in a database made before this reminder was in the demo
        session.commit()
        resolved_id, removed_name = resolved.id, removed.patient_name

    seed_demo(session_factory)

    with session_factory() as session:
        assert session.get_one(Reminder, resolved_id).resolved_at is not None
        names = list(session.scalars(select(Reminder.patient_name)))
    assert names.count(removed_name) == 1
    assert len(names) == sum(len(a.reminders) for a in DEMO_ACCOUNTS)
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
