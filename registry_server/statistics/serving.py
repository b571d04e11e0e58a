"""GET /statistics: the signed-in unit's cells of the latest finished statistics run, with its
hospital, region and the nation beside them.

Suppression happens here, when served (cells are stored whole): a cell counting between 1 and
`min_cell - 1` cases is `{"suppressed": true}` and nothing else, and so is a cell from which
such a count could be worked out with the other numbers of the answer (complementary
suppression, `registry_server.statistics.suppression`); no cases at all is
`{"n": 0, "value": null}`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from desktop_app.forms import Catalogue
from registry_server.jobs.runner import last_finished
from registry_server.models import ExpectedCase, Message, StatisticsCell, Unit, iso_utc
from registry_server.statistics.cells import TWELVE_MONTHS, Window
from registry_server.statistics.indicators import Indicator, shipped_indicators
from registry_server.statistics.inputs import Places
from registry_server.statistics.suppression import Cell, suppressed_cells

# The four regional health authorities are always listed in a by-region breakdown.
_MAIN_REGIONS = ("1", "2", "3", "4")

Stored = tuple[int, int | None, float | None]  # denominator, numerator, value


def unit_registries(session: Session, unit: Unit, catalogue: Catalogue) -> list[str]:
    """The registries the unit reports to, and any it has messages or expected cases for, in
    the catalogue's order."""
    try:
        declared = set(json.loads(unit.registries or "[]"))
    except (TypeError, ValueError):
        declared = set()
    for model in (Message, ExpectedCase):
        declared |= set(
            session.scalars(select(model.registry_code).where(model.unit_id == unit.id).distinct())
        )
    return [r.id for r in catalogue.registries() if r.id in declared]


def statistics_answer(
    session: Session,
    catalogue: Catalogue,
    unit_id: int,
    min_cell: int,
    registry: str | None = None,
) -> dict[str, Any]:
    unit = session.get_one(Unit, unit_id)
    places = Places.from_catalogue(catalogue, {unit.id: unit.hospital_code})
    region = places.hospital_region.get(unit.hospital_code) or None
    answer: dict[str, Any] = {
        "as_of": None,
        "computed_at": None,
        "min_cell": min_cell,
        "period": None,
        "unit": {
            "id": unit.id,
            "name": unit.name,
            "hospital_code": unit.hospital_code,
            "hospital_name": unit.hospital_name,
            "region": region,
            "region_name": places.region_names.get(region) if region else None,
        },
        "registries": [],
    }
    run = last_finished(session, "statistics")
    if run is None:
        return answer
    window = Window.before(run.as_of)
    answer["as_of"] = run.as_of.isoformat()
    answer["computed_at"] = iso_utc(run.finished_at) if run.finished_at else None
    answer["period"] = {"from": window.first_day.isoformat(), "to": window.last_day.isoformat()}
    registries = unit_registries(session, unit, catalogue)
    if registry is not None:
        registries = [r for r in registries if r == registry]
    if not registries:
        return answer
    indicators = [i for i in shipped_indicators(catalogue) if i.registry in registries]
    cells = _read_cells(session, run.id, registries, unit, indicators)
    view = _View(cells, min_cell, str(unit.id), unit.hospital_code, region, window, places)
    answer["registries"] = [
        {
            "registry": name,
            "indicators": [view.indicator(i) for i in indicators if i.registry == name],
        }
        for name in registries
    ]
    return answer


def _read_cells(
    session: Session, run_id: int, registries: list[str], unit: Unit, indicators: list[Indicator]
) -> dict[tuple[str, str, str, str], Stored]:
    c = StatisticsCell
    by_hospital = [i.id for i in indicators if i.breakdown == "by_hospital"]
    wanted = [
        and_(c.level == "unit", c.level_key == str(unit.id)),
        and_(c.level == "hospital", c.level_key == unit.hospital_code),
        c.level.in_(("region", "nation")),
    ]
    if by_hospital:
        wanted.append(
            and_(c.level == "hospital", c.indicator.in_(by_hospital), c.period == TWELVE_MONTHS)
        )
    rows = session.execute(
        select(
            c.indicator, c.level, c.level_key, c.period, c.denominator, c.numerator, c.value
        ).where(c.run_id == run_id, c.registry_code.in_(registries), or_(*wanted))
    )
    return {(ind, lvl, key, per): (n, num, val) for ind, lvl, key, per, n, num, val in rows}


class _View:
    def __init__(
        self,
        cells: Mapping[tuple[str, str, str, str], Stored],
        min_cell: int,
        unit_key: str,
        hospital: str,
        region: str | None,
        window: Window,
        places: Places,
    ) -> None:
        self.min_cell, self.window, self.places = min_cell, window, places
        self.levels = {"unit": unit_key, "hospital": hospital, "region": region, "nation": ""}
        self.cells: dict[str, dict[Cell, Stored]] = {}  # indicator -> (level, key, period)
        for (indicator, level, key, period), stored in cells.items():
            self.cells.setdefault(indicator, {})[(level, key, period)] = stored

    def indicator(self, indicator: Indicator) -> dict[str, Any]:
        levels = self.levels
        cells = self.cells.get(indicator.id, {})
        regions = self._regions(cells) if indicator.breakdown == "by_region" else None
        hospitals = self._keys(cells, "hospital") if indicator.breakdown == "by_hospital" else None
        hidden = self._suppressed(cells, regions, hospitals)

        def cell(level: str, key: str | None, period: str) -> dict[str, Any]:
            if key is None:
                return {"n": 0, "value": None}
            return self._cell(
                indicator, cells.get((level, key, period)), (level, key, period) in hidden
            )

        return {
            "id": indicator.id,
            "group": indicator.group,
            "kind": indicator.kind,
            "title": dict(indicator.title),
            "description": dict(indicator.description),
            "unit": indicator.unit,
            "target": dict(indicator.target) if indicator.target else None,
            "values": {level: cell(level, key, TWELVE_MONTHS) for level, key in levels.items()},
            "trend": [
                {
                    "month": month,
                    **{
                        level: cell(level, levels[level], month)
                        for level in ("unit", "region", "nation")
                    },
                }
                for month in self.window.months
            ],
            "by_region": None
            if regions is None
            else [
                {
                    "region": code,
                    "name": self.places.region_names.get(code, code),
                    "cell": cell("region", code, TWELVE_MONTHS),
                }
                for code in regions
            ],
            "by_hospital": None
            if hospitals is None
            else [
                {
                    "hospital_code": code,
                    "name": self.places.hospital_names.get(code, code),
                    "cell": cell("hospital", code, TWELVE_MONTHS),
                }
                for code in hospitals
            ],
        }

    def _cell(self, indicator: Indicator, stored: Stored | None, hidden: bool) -> dict[str, Any]:
        if stored is None or stored[0] == 0:
            return {"n": 0, "value": None}
        if hidden:
            return {"suppressed": True}
        n, numerator, value = stored
        if indicator.kind == "count":
            return {"n": n, "numerator": None, "value": n}
        return {"n": n, "numerator": numerator, "value": value}

    def _suppressed(
        self, cells: Mapping[Cell, Stored], regions: list[str] | None, hospitals: list[str] | None
    ) -> set[Cell]:
        """The shown cells of one indicator to suppress (see statistics/suppression.py)."""
        unit, hospital, region = (self.levels[k] for k in ("unit", "hospital", "region"))
        year = [("unit", unit), ("hospital", hospital), ("region", region), ("nation", "")]
        chains = [[(level, key, TWELVE_MONTHS) for level, key in year if key is not None]]
        groups: list[list[Cell]] = []
        for month in self.window.months:
            chains.append(
                [
                    (level, key, month)
                    for level, key in (("unit", unit), ("region", region), ("nation", ""))
                    if key is not None
                ]
            )
        for level, key in (("region", region), ("nation", "")):
            if key is not None:
                groups.append([(level, key, month) for month in self.window.months])
        if regions is not None:
            groups.append([("region", code, TWELVE_MONTHS) for code in regions])
        if hospitals is not None:
            groups.append([("hospital", code, TWELVE_MONTHS) for code in hospitals])
            by_region: dict[str, list[Cell]] = {}
            for code in hospitals:
                area = self.places.hospital_region.get(code, "")
                by_region.setdefault(area, []).append(("hospital", code, TWELVE_MONTHS))
            groups.extend(by_region[area] for area in sorted(by_region))
        counts = {cell: stored[0] for cell, stored in cells.items()}
        return suppressed_cells(counts, self.min_cell, chains=chains, groups=groups)

    @staticmethod
    def _keys(cells: Mapping[Cell, Stored], level: str) -> list[str]:
        return sorted(
            key for (lvl, key, period) in cells if lvl == level and period == TWELVE_MONTHS
        )

    def _regions(self, cells: Mapping[Cell, Stored]) -> list[str]:
        return sorted(set(_MAIN_REGIONS) | set(self._keys(cells, "region")))
