"""GET /statistics: the signed-in unit's cells of the latest finished statistics run, with its
hospital, region and the nation beside them.

Suppression happens here, when served (cells are stored whole): a cell counting between 1 and
`min_cell - 1` cases is `{"suppressed": true}` and nothing else; no cases at all is
`{"n": 0, "value": null}`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from desktop_app.forms import Catalogue
from registry_server.jobs.runner import last_finished
from registry_server.models import ExpectedCase, Message, StatisticsCell, Unit, iso_utc
from registry_server.statistics.cells import TWELVE_MONTHS, Window
from registry_server.statistics.indicators import Indicator, shipped_indicators
from registry_server.statistics.inputs import Places

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
        self.cells, self.min_cell, self.window, self.places = cells, min_cell, window, places
        self.levels = {"unit": unit_key, "hospital": hospital, "region": region, "nation": ""}

    def cell(self, indicator: Indicator, level: str, key: str | None, period: str) -> dict:
        stored = None if key is None else self.cells.get((indicator.id, level, key, period))
        if stored is None or stored[0] == 0:
            return {"n": 0, "value": None}
        n, numerator, value = stored
        if n < self.min_cell:
            return {"suppressed": True}
        if indicator.kind == "count":
            return {"n": n, "numerator": None, "value": n}
        return {"n": n, "numerator": numerator, "value": value}

    def indicator(self, indicator: Indicator) -> dict[str, Any]:
        levels = self.levels
        return {
            "id": indicator.id,
            "group": indicator.group,
            "kind": indicator.kind,
            "title": dict(indicator.title),
            "description": dict(indicator.description),
            "unit": indicator.unit,
            "target": dict(indicator.target) if indicator.target else None,
            "values": {
                level: self.cell(indicator, level, key, TWELVE_MONTHS)
                for level, key in levels.items()
            },
            "trend": [
                {
                    "month": month,
                    **{
                        level: self.cell(indicator, level, levels[level], month)
                        for level in ("unit", "region", "nation")
                    },
                }
                for month in self.window.months
            ],
            "by_region": self._by_region(indicator) if indicator.breakdown == "by_region" else None,
            "by_hospital": self._by_hospital(indicator)
            if indicator.breakdown == "by_hospital"
            else None,
        }

    def _keys(self, indicator: Indicator, level: str) -> Iterable[str]:
        return sorted(
            key
            for (ind, lvl, key, period) in self.cells
            if ind == indicator.id and lvl == level and period == TWELVE_MONTHS
        )

    def _by_region(self, indicator: Indicator) -> list[dict[str, Any]]:
        codes = sorted(set(_MAIN_REGIONS) | set(self._keys(indicator, "region")))
        return [
            {
                "region": code,
                "name": self.places.region_names.get(code, code),
                "cell": self.cell(indicator, "region", code, TWELVE_MONTHS),
            }
            for code in codes
        ]

    def _by_hospital(self, indicator: Indicator) -> list[dict[str, Any]]:
        return [
            {
                "hospital_code": code,
                "name": self.places.hospital_names.get(code, code),
                "cell": self.cell(indicator, "hospital", code, TWELVE_MONTHS),
            }
            for code in self._keys(indicator, "hospital")
        ]
