"""Every statistic of the national demo year, computed a second way and compared.

The second way (tests/server/statistics_second_way.py) is plain Python written separately over
the stored rows: it does not call the statistics engine nor read resources/indicators.json.
Every cell of the job's run must equal it: every indicator, for every unit, hospital, region
and the nation, for the twelve months and each month. The API's answer for the two demo units
must show the same numbers, with small cells suppressed.
"""

from __future__ import annotations

import datetime
import itertools
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
    shown = hidden_by_complement = 0
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
                want = _Served(expected, indicator, keys, region)
                for level, key in keys.items():
                    cell = indicator["values"][level]
                    assert cell == want.cell(level, key, "12m"), (indicator["id"], level)
                    shown += "value" in cell and cell["value"] is not None
                for point in indicator["trend"]:
                    for level in ("unit", "region", "nation"):
                        got = point[level]
                        assert got == want.cell(level, keys[level], point["month"]), (
                            account.username,
                            indicator["id"],
                            point["month"],
                        )
                for listed, level, code in (
                    (indicator["by_region"], "region", "region"),
                    (indicator["by_hospital"], "hospital", "hospital_code"),
                ):
                    if listed is not None:
                        assert [e[code] for e in listed] == want.listed(level)
                        for entry in listed:
                            assert entry["cell"] == want.cell(level, entry[code], "12m")
                hidden_by_complement += want.complementary
                _nothing_small_can_be_worked_out(indicator, expected, keys, region)
    assert shown > 100
    assert hidden_by_complement > 0  # the demo year has such cells: the rule is exercised


class _Served:
    """The answer's cells for one indicator as the second way expects them: the stored cells,
    with the suppression rule of docs/notes/statistics-server.md applied (written here apart
    from registry_server/statistics/suppression.py)."""

    def __init__(self, expected: dict, indicator: dict, keys: dict, region: dict) -> None:
        self.expected, self.indicator = expected, indicator
        ident = indicator["id"]
        months = [p["month"] for p in indicator["trend"]]

        def n(level: str, key: str, period: str) -> int:
            return (expected.get((ident, level, key, period)) or (0,))[0]

        self.n = n
        hidden = {
            (level, key, period)
            for (i, level, key, period), (count, _, _) in expected.items()
            if i == ident and 1 <= count <= 4
        }
        chains = [[(lvl, keys[lvl], "12m") for lvl in ("unit", "hospital", "region", "nation")]]
        chains += [[(lvl, keys[lvl], m) for lvl in ("unit", "region", "nation")] for m in months]
        for chain in chains:
            for smaller, larger in itertools.combinations(chain, 2):
                if 1 <= n(*larger) - n(*smaller) <= 4:
                    hidden.add(larger)
        groups = [[(lvl, keys[lvl], m) for m in months] for lvl in ("region", "nation")]
        if indicator["by_region"] is not None:
            groups.append([("region", r, "12m") for r in self.listed("region")])
        if indicator["by_hospital"] is not None:
            everywhere = self.listed("hospital")
            groups.append([("hospital", h, "12m") for h in everywhere])
            for area in sorted({region.get(h, "") for h in everywhere}):
                groups.append(
                    [("hospital", h, "12m") for h in everywhere if region.get(h, "") == area]
                )
        primary = {c for c in hidden if 1 <= n(*c) <= 4}
        # One cell at a time: the first group (in this order) with exactly one hidden member
        # gives up its smallest shown member with cases; then from the first group again.
        progress = True
        while progress:
            progress = False
            for group in groups:
                inside = [c for c in group if c in hidden]
                left = [c for c in group if c not in hidden and n(*c) > 0]
                if len(inside) == 1 and left:
                    hidden.add(min(left, key=lambda c: (n(*c), c)))
                    progress = True
                    break
        self.hidden = hidden
        self.complementary = len(hidden - primary)

    def listed(self, level: str) -> list[str]:
        ident = self.indicator["id"]
        found = {
            k for (i, lvl, k, per) in self.expected if i == ident and lvl == level and per == "12m"
        }
        if level == "region":
            found |= {"1", "2", "3", "4"}
        return sorted(found)

    def cell(self, level: str, key: str, period: str) -> dict:
        stored = self.expected.get((self.indicator["id"], level, key, period))
        if stored is None:
            return {"n": 0, "value": None}
        if (level, key, period) in self.hidden:
            return {"suppressed": True}
        n, numerator, value = stored
        if self.indicator["kind"] == "count":
            return {"n": n, "numerator": None, "value": n}
        return {"n": n, "numerator": numerator, "value": value}


def _nothing_small_can_be_worked_out(
    indicator: dict, expected: dict, keys: dict, region: dict
) -> None:
    """What the rule is for, checked on the answer itself: the unit knows its own counts and
    sees the rest; no difference of two known numbers in a chain, and no group total minus its
    shown members, is a count of 1-4."""
    ident = indicator["id"]

    def own(period: str) -> int:
        return (expected.get((ident, "unit", keys["unit"], period)) or (0,))[0]

    def known(cell: dict) -> int | None:
        return cell.get("n") if "suppressed" not in cell else None

    rows = [("12m", indicator["values"], ("unit", "hospital", "region", "nation"))]
    rows += [(p["month"], p, ("unit", "region", "nation")) for p in indicator["trend"]]
    for period, cells, levels in rows:
        numbers = [own(period)] + [known(cells[level]) for level in levels[1:]]
        for smaller, larger in itertools.combinations([x for x in numbers if x is not None], 2):
            assert not 1 <= larger - smaller <= 4, (ident, period, numbers)
    totals = [(indicator["values"]["nation"], [p["nation"] for p in indicator["trend"]])]
    totals.append((indicator["values"]["region"], [p["region"] for p in indicator["trend"]]))
    if indicator["by_region"] is not None:
        totals.append((indicator["values"]["nation"], [r["cell"] for r in indicator["by_region"]]))
    if indicator["by_hospital"] is not None:
        everywhere = indicator["by_hospital"]
        totals.append((indicator["values"]["nation"], [h["cell"] for h in everywhere]))
        mine = [h["cell"] for h in everywhere if region.get(h["hospital_code"]) == keys["region"]]
        totals.append((indicator["values"]["region"], mine))
    for total, members in totals:
        if known(total) is None:
            continue
        hidden = [m for m in members if known(m) is None]
        assert len(hidden) != 1, (ident, total, members)
