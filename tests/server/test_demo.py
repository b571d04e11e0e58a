"""Demo accounts: two units at two hospitals, users that can sign in, the registries each unit
reports to. Reminders are not hand-written any more (the reminder job computes them; the
national demo year is tests/server/test_demo_national.py)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from sqlalchemy import func, select

from registry_server.db import make_engine, make_session_factory, upgrade_database
from registry_server.demo import DEMO_ACCOUNTS, seed_demo
from registry_server.models import Reminder, Unit, User
from tests.server.helpers import sign_in


def _seeded(path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{path}")
    upgrade_database(engine)
    session_factory = make_session_factory(engine)
    seed_demo(session_factory)
    return engine, session_factory


def _counts(session_factory) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    with session_factory() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Unit, User, Reminder)
        )


def test_seeding_twice_changes_nothing(tmp_path: Path) -> None:
    engine, session_factory = _seeded(tmp_path / "demo.sqlite3")
    first = _counts(session_factory)
    seed_demo(session_factory)

    assert _counts(session_factory) == first == (2, 2, 0)
    engine.dispose()


def test_demo_units_are_at_different_hospitals_and_report_to_their_registries(
    tmp_path: Path,
) -> None:
    engine, session_factory = _seeded(tmp_path / "demo.sqlite3")
    with session_factory() as session:
        for account in DEMO_ACCOUNTS:
            unit = session.scalars(
                select(Unit).filter_by(name=account.unit_name, hospital_code=account.hospital_code)
            ).one()
            assert json.loads(unit.registries) == list(account.registries)
            user = session.scalars(select(User).filter_by(username=account.username)).one()
            assert user.unit_id == unit.id
    assert {a.hospital_code for a in DEMO_ACCOUNTS} == {"0320", "1305"}
    assert {"lymphoid", "sarcoma"} <= set(DEMO_ACCOUNTS[1].registries)
    engine.dispose()


def test_a_units_own_registries_are_kept_on_reseeding(tmp_path: Path) -> None:
    engine, session_factory = _seeded(tmp_path / "demo.sqlite3")
    with session_factory() as session:
        unit = session.scalars(select(Unit).filter_by(hospital_code="0320")).one()
        unit.registries = json.dumps(["breast", "melanoma"])
        session.commit()
    seed_demo(session_factory)
    with session_factory() as session:
        unit = session.scalars(select(Unit).filter_by(hospital_code="0320")).one()
        assert json.loads(unit.registries) == ["breast", "melanoma"]
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
