"""The page's exports: which writer, and the file name offered in the save dialog."""

from __future__ import annotations

import enum
from pathlib import Path

from desktop_app.statistics.cached import CachedReport
from desktop_app.statistics.model import StatisticsReport
from desktop_app.statistics.wording import StatisticsWording


class ExportFormat(enum.Enum):
    CSV = "csv"
    PDF = "pdf"


def default_file_name(report: StatisticsReport, registry: str, kind: ExportFormat) -> str:
    as_of = report.as_of.isoformat() if report.as_of else "undated"
    return f"statistics-{registry}-{as_of}.{kind.value}"


def write_export(
    kind: ExportFormat,
    cached: CachedReport,
    registry: str,
    registry_name: str,
    path: Path,
    wording: StatisticsWording,
) -> Path:
    """Write one registry's statistics (runs on a worker thread: plain Python only). The
    writers are imported here: reportlab costs the page's first opening nothing."""
    from desktop_app.statistics.csv_export import write_statistics_csv
    from desktop_app.statistics.pdf_export import write_statistics_pdf

    if kind is ExportFormat.CSV:
        return write_statistics_csv(cached.report, registry, path, wording.lang)
    return write_statistics_pdf(
        cached.report, registry, registry_name, path, wording, fetched_at=cached.fetched_at
    )
