"""The unit's statistics as the registry serves them (GET /statistics): typed objects read from
the cached answer, and exports (CSV, PDF). Plain Python; the page is `ui.views.statistics_view`."""

from desktop_app.statistics.cached import CachedReport, load_cached_report
from desktop_app.statistics.model import (
    LEVELS,
    TREND_LEVELS,
    AreaCell,
    Cell,
    Indicator,
    RegistryStatistics,
    StatisticsReport,
    Target,
    TrendPoint,
    UnitInfo,
    parse_statistics,
)
from desktop_app.statistics.wording import StatisticsWording

__all__ = [
    "LEVELS",
    "TREND_LEVELS",
    "AreaCell",
    "CachedReport",
    "Cell",
    "Indicator",
    "RegistryStatistics",
    "StatisticsReport",
    "StatisticsWording",
    "Target",
    "TrendPoint",
    "UnitInfo",
    "load_cached_report",
    "parse_statistics",
]
