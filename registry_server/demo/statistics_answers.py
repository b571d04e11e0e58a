"""What GET /statistics answers the demo users, made from a national demo year in a folder of
one's own: the real answer of the real job, for the Statistics page's benchmark, its screenshot
and its tests (no hand-made copy of the indicators to drift from the server's)."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from desktop_app.forms import load_catalogue
from registry_server.db import make_engine, make_session_factory, upgrade_database
from registry_server.demo import DEMO_ACCOUNTS, seed_demo
from registry_server.demo.national import seed_national_demo
from registry_server.models import User
from registry_server.settings import ServerSettings
from registry_server.signing import demo_key
from registry_server.statistics.serving import statistics_answer


def demo_statistics_answers(
    folder: Path, today: datetime.date | None = None
) -> dict[str, dict[str, Any]]:
    """{demo username: its GET /statistics answer}, from a national demo year as of `today`
    made in an SQLite file in `folder` (about ten seconds)."""
    catalogue = load_catalogue()
    folder.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{folder / 'registry.sqlite3'}")
    try:
        upgrade_database(engine)
        factory = make_session_factory(engine)
        seed_demo(factory, catalogue)
        seed_national_demo(factory, catalogue, demo_key(), today or datetime.date.today())
        with factory() as session:
            return {
                account.username: statistics_answer(
                    session,
                    catalogue,
                    session.scalars(
                        select(User.unit_id).where(User.username == account.username)
                    ).one(),
                    ServerSettings.statistics_min_cell,
                )
                for account in DEMO_ACCOUNTS
            }
    finally:
        engine.dispose()
