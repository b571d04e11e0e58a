"""One registry's statistics as CSV: one row per indicator x level x period, with the target.

For a spreadsheet in the user's language: in Norwegian (`lang` "nb") semicolon separated with
decimal commas, as Norwegian Excel expects (it splits on ";" and reads "81,3" as a number); in
English comma separated with dot decimals. ISO dates either way, UTF-8 with a byte-order mark
so that spreadsheet programs read "Sør-Øst" right. Rows, per indicator in the answer's order:

* `level` unit / hospital / region / nation, `period` the whole period ("2025-12-01/2026-11-30");
* the 12-month trend: levels unit / region / nation, `period` the month ("2025-12");
* breakdowns: `level` "by_region" or "by_hospital", `area` the region's or hospital's code.

A suppressed cell has `suppressed` = 1 and no n, numerator or value; a cell without cases has
n = 0 and no value.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from desktop_app.statistics.model import (
    LEVELS,
    TREND_LEVELS,
    Cell,
    Indicator,
    StatisticsReport,
)

COLUMNS = (
    "registry",
    "indicator",
    "title",
    "group",
    "unit_of_measure",
    "level",
    "area",
    "area_name",
    "period",
    "n",
    "numerator",
    "value",
    "suppressed",
    "target_min",
    "target_goal",
    "target_direction",
    "as_of",
)


@dataclass(frozen=True)
class CsvFormat:
    delimiter: str
    decimal: str


CSV_FORMATS = {"nb": CsvFormat(";", ","), "en": CsvFormat(",", ".")}


def csv_format(lang: str) -> CsvFormat:
    return CSV_FORMATS.get(lang, CSV_FORMATS["en"])


def statistics_rows(report: StatisticsReport, registry: str, lang: str = "en") -> Iterator[dict]:
    """The CSV's rows as dicts keyed by COLUMNS (values already as text, decimals as `lang`
    writes them)."""
    stats = report.registry(registry)
    if stats is None:
        return
    period = (
        f"{report.period_from}/{report.period_to}"
        if report.period_from and report.period_to
        else ""
    )
    areas = {
        "unit": (str(report.unit.id or ""), report.unit.name),
        "hospital": (report.unit.hospital_code, report.unit.hospital_name),
        "region": (report.unit.region, report.unit.region_name),
        "nation": ("", ""),
    }
    for indicator in stats.indicators:

        def row(level: str, area: tuple[str, str], when: str, cell: Cell, ind=indicator) -> dict:
            return _row(report, registry, ind, lang, level, area, when, cell)

        for level in LEVELS:
            yield row(level, areas[level], period, indicator.value(level))
        for point in indicator.trend:
            for level in TREND_LEVELS:
                yield row(level, areas[level], point.month, point.cells.get(level) or Cell())
        for area in indicator.by_region or []:
            yield row("by_region", (area.code, area.name), period, area.cell)
        for area in indicator.by_hospital or []:
            yield row("by_hospital", (area.code, area.name), period, area.cell)


def write_statistics_csv(
    report: StatisticsReport, registry: str, path: Path, lang: str = "en"
) -> Path:
    """Write the registry's rows to `path` (replaced if it exists); returns the path."""
    path = Path(path)
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS, delimiter=csv_format(lang).delimiter)
        writer.writeheader()
        writer.writerows(statistics_rows(report, registry, lang))
    return path


def _row(
    report: StatisticsReport,
    registry: str,
    indicator: Indicator,
    lang: str,
    level: str,
    area: tuple[str, str],
    period: str,
    cell: Cell,
) -> dict:
    target = indicator.target
    decimal = csv_format(lang).decimal

    def _text(value: float | None) -> str:
        return _number(value, decimal)

    return {
        "registry": registry,
        "indicator": indicator.id,
        "title": indicator.title_text(lang),
        "group": indicator.group,
        "unit_of_measure": indicator.unit,
        "level": level,
        "area": area[0],
        "area_name": area[1],
        "period": period,
        "n": _text(cell.n),
        "numerator": _text(cell.numerator),
        "value": _text(cell.value),
        "suppressed": "1" if cell.suppressed else "0",
        "target_min": _text(target.min if target else None),
        "target_goal": _text(target.goal if target else None),
        "target_direction": target.direction if target else "",
        "as_of": report.as_of.isoformat() if report.as_of else "",
    }


def _number(value: float | int | None, decimal: str = ".") -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace(".", decimal)
