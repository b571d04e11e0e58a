"""How statistics read: the texts and number and date formats shared by the page and the PDF.

The core words nothing itself for the user's language: `StatisticsWording` is English with ISO
dates, and the UI hands the PDF writer its own subclass (`ui.statistics.formatting.QtWording`:
texts through Qt's translation, numbers and dates through QLocale), the same object the page
formats with, so the page and its PDF always say the same thing the same way.
"""

from __future__ import annotations

from datetime import date, datetime

from desktop_app.statistics.model import Cell, Indicator, Target

ENGLISH = {
    "level.unit": "Your unit",
    "level.hospital": "Hospital",
    "level.region": "Region",
    "level.nation": "Nation",
    "suppressed": "fewer than {min_cell} cases",
    "suppressed.short": "< {min_cell}",
    "no_cases": "no cases",
    "unit.percent": "{value} %",
    "unit.days": "{value} days",
    "unit.count": "{value}",
    "target.at_least": "at least {limit}",
    "target.at_most": "at most {limit}",
    "target.goal": "goal {goal}",
    "status.goal": "Target reached",
    "status.min": "Minimum reached, not the goal",
    "status.below": "Below target",
    "title": "Statistics: {registry}",
    "unit": "Unit: {unit}",
    "as_of": "As of {date}",
    "period": "Period {start} – {end}",
    "fetched": "Fetched {when}",
    "administrative": "Administrative figures",
    "clinical": "Clinical quality indicators",
    "trend": "Last 12 months",
    "by_region": "By health region",
    "by_hospital": "By hospital",
    "col.level": "Level",
    "col.value": "Value",
    "col.cases": "Cases",
    "col.target": "Target",
    "col.month": "Month",
    "col.name": "Name",
    "footer": (
        "Aggregates only, computed by the registry. Cells with fewer than {min_cell} cases "
        "are suppressed."
    ),
    "target_line": "Target",
}


class StatisticsWording:
    lang = "en"

    def text(self, key: str, **params: object) -> str:
        return ENGLISH[key].format(**params)

    def number(self, value: float, decimals: int = 0) -> str:
        return f"{value:,.{decimals}f}"

    def date(self, day: date | None) -> str:
        return day.isoformat() if day else ""

    def datetime(self, when: datetime | None) -> str:
        return when.astimezone().strftime("%Y-%m-%d %H:%M") if when else ""

    def month(self, month: str, *, with_year: bool = True) -> str:
        """A YYYY-MM month, short (axis labels, tables)."""
        return month if with_year else month[5:]

    # -- built on the above ---------------------------------------------------------------

    def measure(self, value: float, indicator: Indicator, *, trim: bool = False) -> str:
        """A value with its unit: "81.3 %", "12 days", "312"; `trim`: no ".0" (targets)."""
        decimals = 0 if trim and float(value).is_integer() else indicator.decimals
        key = f"unit.{indicator.unit}" if indicator.unit in _UNITS else "unit.count"
        return self.text(key, value=self.number(value, decimals))

    def cell(self, cell: Cell, indicator: Indicator, min_cell: int, *, short: bool = False) -> str:
        """A cell as the reader sees it: the value, "fewer than 5 cases" or "no cases"."""
        if cell.suppressed:
            return self.text("suppressed.short" if short else "suppressed", min_cell=min_cell)
        if cell.value is None:
            return self.text("no_cases") if cell.n == 0 else ""
        return self.measure(cell.value, indicator)

    def cases(self, cell: Cell) -> str:
        """The number of cases a cell rests on ("", when suppressed: the registry does not say)."""
        if cell.suppressed or cell.n is None:
            return ""
        if cell.numerator is not None:
            return f"{self.number(cell.numerator)} / {self.number(cell.n)}"
        return self.number(cell.n)

    def target(self, target: Target | None, indicator: Indicator, *, short: bool = False) -> str:
        """ "at least 85 % (goal 90 %)"; `short`: "≥ 85 % (90 %)" for narrow columns."""
        if target is None:
            return ""
        lower = target.direction == "lower"
        limits = [self.measure(v, indicator, trim=True) for _, v in target.lines]
        if short:
            sign = "≤" if lower else "≥"
            return f"{sign} {limits[0]}" + (f" ({limits[1]})" if len(limits) == 2 else "")
        first = self.text("target.at_most" if lower else "target.at_least", limit=limits[0])
        if len(limits) == 1:
            return first
        return f"{first} ({self.text('target.goal', goal=limits[1])})"

    def status(self, status: str | None) -> str:
        return self.text(f"status.{status}") if status else ""


_UNITS = ("percent", "days", "count")
