"""Periods and cells: the twelve whole months before the run, and one aggregate per
indicator, level, key and period ("YYYY-MM", or "12m" for the twelve months together)."""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

TWELVE_MONTHS = "12m"


@dataclass(frozen=True)
class Window:
    """The twelve whole months before `as_of`'s month, oldest first."""

    months: tuple[str, ...]
    first_day: datetime.date
    last_day: datetime.date
    month_set: frozenset[str]

    @classmethod
    def before(cls, as_of: datetime.date) -> Window:
        last_day = as_of.replace(day=1) - datetime.timedelta(days=1)
        year, month = last_day.year, last_day.month
        months = []
        for _ in range(12):
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        months.reverse()
        first_day = datetime.date(int(months[0][:4]), int(months[0][5:]), 1)
        return cls(tuple(months), first_day, last_day, frozenset(months))

    def month_of(self, value: object) -> str | None:
        """ "YYYY-MM" of an ISO date (or date) inside the window, else None."""
        text = value.isoformat() if isinstance(value, datetime.date) else value
        if not isinstance(text, str) or len(text) < 7:
            return None
        month = text[:7]
        return month if month in self.month_set else None


@dataclass
class CellRow:
    registry: str
    indicator: str
    level: str
    level_key: str
    period: str
    denominator: int
    numerator: int | None
    value: float | None


class Accumulator:
    """Counts for one indicator of `kind`, per (level, key, period)."""

    def __init__(self, registry: str, indicator: str, kind: str) -> None:
        self.registry, self.indicator, self.kind = registry, indicator, kind
        self._n: dict[tuple[str, str, str], int] = defaultdict(int)
        self._hits: dict[tuple[str, str, str], int] = defaultdict(int)
        self._measures: dict[tuple[str, str, str], list[float]] = defaultdict(list)

    def add(
        self,
        keys: Iterable[tuple[str, str]],
        periods: Iterable[str],
        hit: bool = False,
        measure: float | None = None,
    ) -> None:
        periods = tuple(periods)
        for level, key in keys:
            for period in periods:
                cell = (level, key, period)
                self._n[cell] += 1
                if hit:
                    self._hits[cell] += 1
                if measure is not None:
                    self._measures[cell].append(measure)

    def rows(self) -> list[CellRow]:
        out = []
        for (level, key, period), n in self._n.items():
            numerator: int | None = None
            if self.kind == "proportion":
                numerator = self._hits.get((level, key, period), 0)
                value: float | None = round(100.0 * numerator / n, 1)
            elif self.kind == "median_days":
                value = round(float(statistics.median(self._measures[(level, key, period)])), 1)
            else:
                value = float(n)
            out.append(
                CellRow(self.registry, self.indicator, level, key, period, n, numerator, value)
            )
        return out
