"""The statistics' wording in the UI language: texts through Qt's translation, numbers and dates
through QLocale (Norwegian: decimal comma, dd.MM.yyyy). The page formats with it, and hands a
fresh one to the PDF writer (each thread its own QLocale)."""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QCoreApplication, QDate, QDateTime, QLocale, QTimeZone

from desktop_app.statistics.wording import StatisticsWording

CONTEXT = "Statistics"


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def _texts() -> dict[str, str]:
    # Literal strings in tr() calls, so that lupdate finds every one of them.
    return {
        "level.unit": tr("Your unit"),
        "level.hospital": tr("Hospital"),
        "level.region": tr("Region"),
        "level.nation": tr("Nation"),
        "suppressed": tr("fewer than {min_cell} cases"),
        "suppressed.short": tr("< {min_cell}"),
        "no_cases": tr("no cases"),
        "unit.percent": tr("{value} %"),
        "unit.days": tr("{value} days"),
        "unit.count": tr("{value}"),
        "target.at_least": tr("at least {limit}"),
        "target.at_most": tr("at most {limit}"),
        "target.goal": tr("goal {goal}"),
        "status.goal": tr("Target reached"),
        "status.min": tr("Minimum reached, not the goal"),
        "status.below": tr("Below target"),
        "title": tr("Statistics: {registry}"),
        "unit": tr("Unit: {unit}"),
        "as_of": tr("As of {date}"),
        "period": tr("Period {start} – {end}"),
        "fetched": tr("Fetched {when}"),
        "administrative": tr("Administrative figures"),
        "clinical": tr("Clinical quality indicators"),
        "trend": tr("Last 12 months"),
        "by_region": tr("By health region"),
        "by_hospital": tr("By hospital"),
        "col.level": tr("Level"),
        "col.value": tr("Value"),
        "col.cases": tr("Cases"),
        "col.target": tr("Target"),
        "col.month": tr("Month"),
        "col.name": tr("Name"),
        "footer": tr(
            "Aggregates only, computed by the registry. Cells with fewer than {min_cell} cases "
            "are suppressed."
        ),
        "target_line": tr("Target"),
    }


def locale_for(lang: str) -> QLocale:
    if lang == "nb":
        return QLocale(QLocale.Language.NorwegianBokmal, QLocale.Country.Norway)
    return QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)


class QtWording(StatisticsWording):
    """`StatisticsWording` in `lang` ("nb" or "en"). Make it on the GUI thread (the texts are
    translated then); a worker thread may then use it alone."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.locale = locale_for(lang)
        self._texts = _texts()
        self._date_format = "dd.MM.yyyy" if lang == "nb" else "yyyy-MM-dd"

    def text(self, key: str, **params: object) -> str:
        return self._texts[key].format(**params)

    def number(self, value: float, decimals: int = 0) -> str:
        return self.locale.toString(float(value), "f", decimals)

    def date(self, day: date | None) -> str:
        if day is None:
            return ""
        return self.locale.toString(QDate(day.year, day.month, day.day), self._date_format)

    def datetime(self, when: datetime | None) -> str:
        if when is None:
            return ""
        moment = QDateTime.fromSecsSinceEpoch(int(when.timestamp()), QTimeZone.systemTimeZone())
        return self.locale.toString(moment, f"{self._date_format} HH:mm")

    def month(self, month: str, *, with_year: bool = True) -> str:
        """ "Dec 25" / "des. 25"; without the year, three letters: "Dec" / "des"."""
        try:
            year, number = (int(part) for part in month.split("-"))
        except ValueError:
            return month
        if with_year:
            return self.locale.toString(QDate(year, number, 1), "MMM yy")
        name = self.locale.standaloneMonthName(number, QLocale.FormatType.ShortFormat)
        return name.rstrip(".")[:3]
