"""One registry's statistics as a PDF (reportlab): per indicator a table of the unit, hospital,
region and nation beside a bar chart with the target, the 12-month trend as a line chart, and
the breakdowns by region or hospital as tables.

The charts are drawn with reportlab's own graphics (a few shapes each: rectangles, lines),
not rendered by Qt, so the PDF is made off the GUI thread by plain Python.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from desktop_app.statistics.model import (
    LEVELS,
    AreaCell,
    Indicator,
    StatisticsReport,
)
from desktop_app.statistics.pdf_charts import bar_drawing, trend_drawing
from desktop_app.statistics.wording import StatisticsWording


def write_statistics_pdf(
    report: StatisticsReport,
    registry: str,
    registry_name: str,
    path: Path,
    wording: StatisticsWording | None = None,
    fetched_at: datetime | None = None,
) -> Path:
    """Write the registry's statistics to `path`; returns the path."""
    wording = wording or StatisticsWording()
    path = Path(path)
    styles = _styles()
    story: list = []
    story.append(Paragraph(escape(wording.text("title", registry=registry_name)), styles["title"]))
    for line in _header_lines(report, wording, fetched_at):
        story.append(Paragraph(escape(line), styles["meta"]))
    story.append(Spacer(1, 4 * mm))

    stats = report.registry(registry)
    indicators = stats.indicators if stats else []
    administrative = [i for i in indicators if i.group == "administrative"]
    clinical = [i for i in indicators if i.group != "administrative"]
    for heading, members in (("administrative", administrative), ("clinical", clinical)):
        if not members:
            continue
        story.append(CondPageBreak(60 * mm))
        story.append(Paragraph(escape(wording.text(heading)), styles["h1"]))
        for indicator in members:
            story.extend(_indicator_flowables(report, indicator, wording, styles))
    story.append(Spacer(1, 4 * mm))
    story.append(
        Paragraph(escape(wording.text("footer", min_cell=report.min_cell)), styles["meta"])
    )

    document = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=wording.text("title", registry=registry_name),
        author=report.unit.name,
    )
    document.build(story)
    return path


def _header_lines(
    report: StatisticsReport, wording: StatisticsWording, fetched_at: datetime | None
) -> list[str]:
    unit = report.unit
    names = ", ".join(n for n in (unit.name, unit.hospital_name, unit.region_name) if n)
    lines = [wording.text("unit", unit=names)] if names else []
    when = [wording.text("as_of", date=wording.date(report.as_of))]
    if report.period_from and report.period_to:
        start, end = wording.date(report.period_from), wording.date(report.period_to)
        when.append(wording.text("period", start=start, end=end))
    if fetched_at is not None:
        when.append(wording.text("fetched", when=wording.datetime(fetched_at)))
    lines.append(" · ".join(when))
    return lines


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontSize=16, alignment=0),
        "h1": ParagraphStyle("h1", parent=base["Heading2"], spaceBefore=6, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base["Heading4"], spaceBefore=8, spaceAfter=2),
        "meta": ParagraphStyle("meta", parent=base["Normal"], fontSize=8.5, textColor="#444444"),
        "small": ParagraphStyle("small", parent=base["Normal"], fontSize=8),
        "cell": ParagraphStyle("cell", parent=base["Normal"], fontSize=8, leading=9.5),
    }


def _indicator_flowables(
    report: StatisticsReport, indicator: Indicator, wording: StatisticsWording, styles: dict
) -> list:
    title = indicator.title_text(wording.lang)
    status = wording.status(indicator.status)
    head = [Paragraph(escape(title), styles["h2"])]
    description = indicator.description_text(wording.lang)
    if description:
        head.append(Paragraph(escape(description), styles["meta"]))

    # A count's cases are its value: no column saying the same twice.
    columns = ("level", "value") if indicator.kind == "count" else ("level", "value", "cases")
    rows = [[wording.text(f"col.{c}") for c in columns]]
    for level in LEVELS:
        cell = indicator.value(level)
        rows.append(
            [
                Paragraph(
                    _bold_if(escape(_level_name(report, level, wording)), level == "unit"),
                    styles["cell"],
                ),
                wording.cell(cell, indicator, report.min_cell),
                wording.cases(cell),
            ][: len(columns)]
        )
    if indicator.target is not None:
        target = wording.target(indicator.target, indicator)
        rows.append([wording.text("col.target"), target, ""][: len(columns)])
    table = Table(rows, colWidths=[50 * mm, 26 * mm, 22 * mm][: len(columns)])
    table.setStyle(_table_style(bold_row=1))
    side = Table(
        [[table, bar_drawing(indicator, report.min_cell, wording)]],
        colWidths=[100 * mm, 74 * mm],
        style=TableStyle(
            [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]
        ),
    )
    block = [*head, Spacer(1, 1.5 * mm), side]
    if status:
        block.append(Paragraph(escape(status), styles["small"]))
    out: list = [KeepTogether(block)]
    if indicator.trend:
        out.append(
            KeepTogether(
                [
                    Paragraph(escape(wording.text("trend")), styles["small"]),
                    trend_drawing(report, indicator, wording),
                ]
            )
        )
    for key, areas, own in (
        ("by_region", indicator.by_region, report.unit.region),
        ("by_hospital", indicator.by_hospital, report.unit.hospital_code),
    ):
        if areas:
            out.append(Paragraph(escape(wording.text(key)), styles["small"]))
            out.append(_area_table(areas, own, indicator, report.min_cell, wording))
    return out


def _level_name(report: StatisticsReport, level: str, wording: StatisticsWording) -> str:
    name = {
        "unit": report.unit.name,
        "hospital": report.unit.hospital_name,
        "region": report.unit.region_name,
    }.get(level)
    label = wording.text(f"level.{level}")
    return f"{label} ({name})" if name and level != "unit" else label


def _bold_if(markup: str, bold: bool) -> str:
    return f"<b>{markup}</b>" if bold else markup


def _table_style(bold_row: int | None = None) -> TableStyle:
    commands = [
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f3f3f3")]),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    if bold_row is not None:
        commands.append(("FONTNAME", (0, bold_row), (-1, bold_row), "Helvetica-Bold"))
    return TableStyle(commands)


def _area_table(
    areas: list[AreaCell],
    own: str,
    indicator: Indicator,
    min_cell: int,
    wording: StatisticsWording,
) -> Table:
    """Regions or hospitals, largest value first (suppressed and empty last), own in bold."""
    ordered = sorted(areas, key=lambda a: (not a.cell.has_value, -(a.cell.value or 0), a.name))
    width = 2 if indicator.kind == "count" else 3  # a count's cases are its value
    rows = [
        [wording.text("col.name"), wording.text("col.value"), wording.text("col.cases")][:width]
    ]
    own_rows = []
    for number, area in enumerate(ordered, start=1):
        rows.append(
            [
                area.name or area.code,
                wording.cell(area.cell, indicator, min_cell),
                wording.cases(area.cell),
            ][:width]
        )
        if area.code == own:
            own_rows.append(number)
    table = Table(rows, colWidths=[90 * mm, 30 * mm, 24 * mm][:width], repeatRows=1)
    style = _table_style()
    for number in own_rows:
        style.add("FONTNAME", (0, number), (-1, number), "Helvetica-Bold")
    table.setStyle(style)
    return table
