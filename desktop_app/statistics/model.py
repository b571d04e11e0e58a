"""The registry's statistics answer (GET /statistics) read into typed objects.

The payload is kept in the local cache exactly as the server sent it; this module reads it
each time it is shown or exported. Reading is forgiving: a piece missing or of the wrong type
becomes "no data" rather than an exception, so a newer server (or an older cached answer) never
leaves the page blank. Only aggregates ever arrive here: no patient-level data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# Where a figure comes from, in the order the page and the exports show them.
LEVELS = ("unit", "hospital", "region", "nation")
TREND_LEVELS = ("unit", "region", "nation")
MIN_CELL_DEFAULT = 5


@dataclass(frozen=True)
class Cell:
    """One figure: `value` is a percent (proportion), a median in days or a count.

    `suppressed`: the registry had between 1 and min_cell - 1 cases and does not say more.
    `value is None and not suppressed`: no cases at all."""

    n: int | None = None
    numerator: int | None = None
    value: float | None = None
    suppressed: bool = False

    @property
    def has_value(self) -> bool:
        return not self.suppressed and self.value is not None

    @classmethod
    def from_json(cls, data: Any) -> Cell:
        if not isinstance(data, dict):
            return cls()
        if data.get("suppressed"):
            return cls(suppressed=True)
        return cls(
            n=_int(data.get("n")),
            numerator=_int(data.get("numerator")),
            value=_num(data.get("value")),
        )


@dataclass(frozen=True)
class Target:
    min: float | None
    goal: float | None
    direction: str  # "higher" or "lower": which side of the target is good

    def status(self, value: float | None) -> str | None:
        """ "goal": the goal is reached (or the only limit there is); "min": the minimum but not
        the goal; "below": not even the minimum; None when there is no value."""
        if value is None:
            return None

        def reached(limit: float) -> bool:
            return value >= limit if self.direction != "lower" else value <= limit

        limits = [v for _, v in self.lines]
        if reached(limits[-1]):
            return "goal"
        return "min" if len(limits) == 2 and reached(limits[0]) else "below"

    @property
    def lines(self) -> list[tuple[str, float]]:
        """("min" / "goal", value) for each limit the target has, minimum first."""
        return [(name, v) for name, v in (("min", self.min), ("goal", self.goal)) if v is not None]

    @classmethod
    def from_json(cls, data: Any) -> Target | None:
        if not isinstance(data, dict):
            return None
        target = cls(
            _num(data.get("min")), _num(data.get("goal")), str(data.get("direction") or "higher")
        )
        return target if target.lines else None


@dataclass(frozen=True)
class TrendPoint:
    month: str  # YYYY-MM
    cells: dict[str, Cell]  # by TREND_LEVELS


@dataclass(frozen=True)
class AreaCell:
    """One region's or hospital's figure in a breakdown."""

    code: str
    name: str
    cell: Cell


@dataclass(frozen=True)
class Indicator:
    id: str
    group: str  # "clinical" or "administrative"
    kind: str  # "proportion", "median_days" or "count"
    title: dict[str, str]
    description: dict[str, str]
    unit: str  # "percent", "days" or "count"
    target: Target | None
    values: dict[str, Cell]  # by LEVELS
    trend: list[TrendPoint]
    by_region: list[AreaCell] | None
    by_hospital: list[AreaCell] | None

    def title_text(self, lang: str) -> str:
        return _text(self.title, lang) or self.id

    def description_text(self, lang: str) -> str:
        return _text(self.description, lang)

    def value(self, level: str) -> Cell:
        return self.values.get(level) or Cell()

    @property
    def status(self) -> str | None:
        """The unit's figure against the target (Target.status)."""
        return self.target.status(self.value("unit").value) if self.target else None

    @property
    def decimals(self) -> int:
        return 1 if self.unit == "percent" else 0


@dataclass(frozen=True)
class RegistryStatistics:
    registry: str
    indicators: list[Indicator]

    def indicator(self, indicator_id: str) -> Indicator | None:
        return next((i for i in self.indicators if i.id == indicator_id), None)

    @property
    def administrative(self) -> list[Indicator]:
        return [i for i in self.indicators if i.group == "administrative"]

    @property
    def clinical(self) -> list[Indicator]:
        return [i for i in self.indicators if i.group != "administrative"]

    @property
    def activity(self) -> int:
        """How much the unit reports to this registry: the largest case count among its own
        figures (the messages received, where the registry counts them)."""
        return max((i.value("unit").n or 0 for i in self.indicators), default=0)


@dataclass(frozen=True)
class UnitInfo:
    id: Any = None
    name: str = ""
    hospital_code: str = ""
    hospital_name: str = ""
    region: str = ""
    region_name: str = ""


@dataclass(frozen=True)
class StatisticsReport:
    as_of: date | None
    computed_at: datetime | None
    min_cell: int
    period_from: date | None
    period_to: date | None
    unit: UnitInfo
    registries: list[RegistryStatistics] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Nothing to show: no run has finished on the server, or no registry has figures."""
        return self.as_of is None or not any(r.indicators for r in self.registries)

    def registry(self, registry_id: str) -> RegistryStatistics | None:
        return next((r for r in self.registries if r.registry == registry_id), None)

    def default_registry(self) -> str | None:
        """The registry the unit reports most to (first in the answer's order on a tie)."""
        best: RegistryStatistics | None = None
        for registry in self.registries:
            if best is None or registry.activity > best.activity:
                best = registry
        return best.registry if best else None


def parse_statistics(payload: Any) -> StatisticsReport:
    """The answer as typed objects (see the module's note on what is forgiven)."""
    data = payload if isinstance(payload, dict) else {}
    period = data.get("period") if isinstance(data.get("period"), dict) else {}
    unit = data.get("unit") if isinstance(data.get("unit"), dict) else {}
    registries = [
        _registry(item) for item in _list(data.get("registries")) if isinstance(item, dict)
    ]
    return StatisticsReport(
        as_of=_date(data.get("as_of")),
        computed_at=_datetime(data.get("computed_at")),
        min_cell=_int(data.get("min_cell")) or MIN_CELL_DEFAULT,
        period_from=_date(period.get("from")),
        period_to=_date(period.get("to")),
        unit=UnitInfo(
            id=unit.get("id"),
            name=str(unit.get("name") or ""),
            hospital_code=str(unit.get("hospital_code") or ""),
            hospital_name=str(unit.get("hospital_name") or ""),
            region=str(unit.get("region") or ""),
            region_name=str(unit.get("region_name") or ""),
        ),
        registries=[r for r in registries if r.registry],
    )


def _registry(data: dict) -> RegistryStatistics:
    indicators = [_indicator(i) for i in _list(data.get("indicators")) if isinstance(i, dict)]
    return RegistryStatistics(str(data.get("registry") or ""), [i for i in indicators if i.id])


def _indicator(data: dict) -> Indicator:
    values = data.get("values") if isinstance(data.get("values"), dict) else {}
    return Indicator(
        id=str(data.get("id") or ""),
        group=str(data.get("group") or "clinical"),
        kind=str(data.get("kind") or "proportion"),
        title=_texts(data.get("title")),
        description=_texts(data.get("description")),
        unit=str(data.get("unit") or "percent"),
        target=Target.from_json(data.get("target")),
        values={level: Cell.from_json(values.get(level)) for level in LEVELS},
        trend=[
            TrendPoint(
                str(p.get("month") or ""),
                {level: Cell.from_json(p.get(level)) for level in TREND_LEVELS},
            )
            for p in _list(data.get("trend"))
            if isinstance(p, dict)
        ],
        by_region=_areas(data.get("by_region"), "region"),
        by_hospital=_areas(data.get("by_hospital"), "hospital_code"),
    )


def _areas(data: Any, code_key: str) -> list[AreaCell] | None:
    if not isinstance(data, list):
        return None
    return [
        AreaCell(
            str(a.get(code_key) or ""), str(a.get("name") or ""), Cell.from_json(a.get("cell"))
        )
        for a in data
        if isinstance(a, dict)
    ]


def _text(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("en") or texts.get("nb") or ""


def _texts(data: Any) -> dict[str, str]:
    if isinstance(data, str):
        return {"en": data}
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items() if isinstance(v, str)}


def _list(data: Any) -> list:
    return data if isinstance(data, list) else []


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
