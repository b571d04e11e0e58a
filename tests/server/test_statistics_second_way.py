"""Every statistic of the national demo year, computed a second way and compared.

The second way (tests/server/statistics_second_way.py) is plain Python written separately over
the stored rows: it does not call the statistics engine nor read resources/indicators.json.
Every cell of the job's run must equal it: every indicator, for every unit, hospital, region
and the nation, for the twelve months and each month. The API's answer for the two demo units
must show the same numbers, with small cells suppressed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from registry_server.db import make_engine, make_session_factory, upgrade_database
from registry_server.demo import DEMO_ACCOUNTS, seed_demo
from registry_server.demo.national import seed_national_demo
from registry_server.jobs.runner import last_finished
from registry_server.models import StatisticsCell, Unit
from registry_server.signing import load_signing_key
from registry_server.statistics.indicators import shipped_indicators
from registry_server.statistics.serving import statistics_answer
from tests.server.helpers import catalogue
from tests.server.statistics_second_way import (
    ADMINISTRATIVE,
    CLINICAL,
    Data,
    codes,
    second_way,
)

TODAY = datetime.date(2026, 12, 6)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    folder = tmp_path_factory.mktemp("national")
    engine = make_engine(f"sqlite:///{folder / 'registry.sqlite3'}")
    upgrade_database(engine)
    factory = make_session_factory(engine)
    seed_demo(factory)
    key = load_signing_key(None, Path(folder), demo=True)
    assert seed_national_demo(factory, catalogue(), key, TODAY) is not None
    yield factory
    engine.dispose()


def _stored(factory) -> dict[tuple, tuple]:  # type: ignore[no-untyped-def]
    with factory() as session:
        run = last_finished(session, "statistics")
        assert run is not None and run.as_of == TODAY
        rows = session.execute(
            select(
                StatisticsCell.indicator,
                StatisticsCell.level,
                StatisticsCell.level_key,
                StatisticsCell.period,
                StatisticsCell.denominator,
                StatisticsCell.numerator,
                StatisticsCell.value,
            ).where(StatisticsCell.run_id == run.id)
        ).all()
    return {(i, lvl, key, per): (n, num, val) for i, lvl, key, per, n, num, val in rows}


def test_the_second_way_covers_every_shipped_indicator() -> None:
    ours = {i for table in CLINICAL.values() for i in table} | {"childhood.treatment_reported"}
    shipped = {i.id for i in shipped_indicators(catalogue())}
    administrative = {i for i in shipped if i.split(".")[1] in ADMINISTRATIVE}
    assert shipped - administrative == ours


def test_every_cell_equals_the_second_way(demo_db) -> None:  # type: ignore[no-untyped-def]
    expected = second_way(Data(demo_db), TODAY)
    stored = _stored(demo_db)
    assert len(stored) > 10_000
    differences = [
        (cell, stored.get(cell), expected.get(cell))
        for cell in sorted(set(stored) | set(expected))
        if stored.get(cell) != expected.get(cell)
    ]
    assert not differences, differences[:20]


def test_the_demo_units_see_the_same_numbers_small_cells_suppressed(demo_db) -> None:  # type: ignore[no-untyped-def]
    expected = second_way(Data(demo_db), TODAY)
    region = {c["code"]: c["region"] for c in codes("hospitals")}
    shown = 0
    for account in DEMO_ACCOUNTS:
        with demo_db() as session:
            unit = session.scalars(
                select(Unit).filter_by(name=account.unit_name, hospital_code=account.hospital_code)
            ).one()
            answer = statistics_answer(session, catalogue(), unit.id, 5)
        assert answer["as_of"] == TODAY.isoformat()
        assert answer["period"] == {"from": "2025-12-01", "to": "2026-11-30"}
        assert [r["registry"] for r in answer["registries"]] == list(account.registries)
        keys = {
            "unit": str(unit.id),
            "hospital": account.hospital_code,
            "region": region[account.hospital_code],
            "nation": "",
        }
        for registry in answer["registries"]:
            for indicator in registry["indicators"]:
                for level, key in keys.items():
                    cell = indicator["values"][level]
                    want = _served(expected.get((indicator["id"], level, key, "12m")), indicator)
                    assert cell == want, (account.username, indicator["id"], level)
                    shown += "value" in cell and cell["value"] is not None
                for point in indicator["trend"]:
                    for level in ("unit", "region", "nation"):
                        got = point[level]
                        want = _served(
                            expected.get((indicator["id"], level, keys[level], point["month"])),
                            indicator,
                        )
                        assert got == want, (account.username, indicator["id"], point["month"])
    assert shown > 100


def _served(stored: tuple | None, indicator: dict) -> dict:
    if stored is None:
        return {"n": 0, "value": None}
    n, numerator, value = stored
    if n < 5:
        return {"suppressed": True}
    if indicator["kind"] == "count":
        return {"n": n, "numerator": None, "value": n}
    return {"n": n, "numerator": numerator, "value": value}
