"""Opening the Statistics page on real services and a real cache, and reading its charts back
(the QtCharts objects the page drew), for the test_statistics_* modules."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCharts import QAbstractBarSeries, QBarCategoryAxis, QLineSeries

from desktop_app.auth import Session
from desktop_app.config import Settings
from desktop_app.user_session import UserSession
from local_cache.crypto import UserKeys, new_key
from tests.support.client_settings import settings_for_tests
from ui.main_window import MainWindow

from .statistics_payload import UNIT

FETCHED_AT = datetime(2026, 12, 6, 7, 15, tzinfo=UTC)
NOWHERE = "https://127.0.0.1:9"  # nothing listens there: the page must not need a server


def offline_settings(data_dir: Path, language: str = "en") -> Settings:
    return settings_for_tests(None, data_dir, server_url=NOWHERE, language=language)


def offline_session(services, username: str = "demo") -> Session:
    return Session(
        server_url=services.settings.server_url,
        username=username,
        display_name="Demo Doctor",
        unit={**UNIT, "department": "surgery"},
        offline=True,
        tokens=services.tokens,
        notice="The registry server cannot be reached.",
    )


def open_statistics(qtbot, services, who: UserSession | Session):
    """The main window on the Statistics page, once the page has read the cache. A bare
    Session (signed in offline by hand) gets a UserSession with fresh keys."""
    user = who if isinstance(who, UserSession) else UserSession(services, who, fresh_keys())
    window = MainWindow(services, user)
    qtbot.addWidget(window)
    window.show()
    window.show_page(MainWindow.STATISTICS)
    view = window.statistics_page.page
    assert view is not None
    qtbot.waitUntil(lambda: view.is_loaded, timeout=10000)
    return window, view


def fresh_keys() -> UserKeys:
    return UserKeys(new_key(), new_key())


def bar_values(view) -> dict[str, float]:
    """The level chart's bars as {level label: value} (one bar set per level)."""
    chart = view.detail.bar_view.chart()
    bars = next(s for s in chart.series() if isinstance(s, QAbstractBarSeries))
    return {
        bar_set.label(): sum(bar_set.at(i) for i in range(bar_set.count()))
        for bar_set in bars.barSets()
    }


def bar_categories(view) -> list[str]:
    """The level chart's category labels, top to bottom."""
    chart = view.detail.bar_view.chart()
    axis = next(a for a in chart.axes() if isinstance(a, QBarCategoryAxis))
    return list(reversed(axis.categories()))


def target_lines(chart) -> dict[str, list[tuple[float, float]]]:
    """The dashed target lines: {legend name: points}."""
    return {
        s.name(): [(p.x(), p.y()) for p in s.points()]
        for s in chart.series()
        if isinstance(s, QLineSeries) and s.pen().style().name == "DashLine"
    }


def trend_points(view, level_label: str) -> dict[int, float]:
    """The trend chart's points of one level as {month index: value} (all its pieces)."""
    chart = view.detail.trend_view.chart()
    points: dict[int, float] = {}
    for series in chart.series():
        if isinstance(series, QLineSeries) and series.name() == level_label:
            if series.pen().style().name == "DashLine":
                continue
            points.update({round(p.x()): p.y() for p in series.points()})
    return points


def table_texts(table) -> list[list[str]]:
    model = table.model()
    return [
        [
            str(model.index(r, c).data() or "")
            for c in range(model.columnCount())
            if not table.isColumnHidden(c)
        ]
        for r in range(model.rowCount())
    ]
