"""The statistics kept on this computer, read for the page (off the GUI thread)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from desktop_app.statistics.model import StatisticsReport, parse_statistics


@dataclass(frozen=True)
class CachedReport:
    report: StatisticsReport
    fetched_at: datetime  # when this computer got the answer


def load_cached_report(cache: Any, owner: str) -> CachedReport | None:
    """The owner's last answer as typed objects; None when none was ever fetched."""
    cached = cache.statistics.load(owner)
    if cached is None:
        return None
    return CachedReport(parse_statistics(cached.payload), cached.fetched_at)
