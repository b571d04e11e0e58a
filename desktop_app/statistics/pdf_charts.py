"""The charts of the statistics PDF, drawn with reportlab's own graphics (a few shapes each:
rectangles, lines), so the PDF is made off the GUI thread by plain Python."""

from __future__ import annotations

from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm

from desktop_app.statistics.model import LEVELS, TREND_LEVELS, Indicator, StatisticsReport
from desktop_app.statistics.wording import StatisticsWording

# One colour per level, the same as on the page (ui.statistics.charts).
LEVEL_COLOURS = {
    "unit": colors.HexColor("#1f77b4"),
    "hospital": colors.HexColor("#7fb3d5"),
    "region": colors.HexColor("#ff7f0e"),
    "nation": colors.HexColor("#7f7f7f"),
}
TARGET_COLOUR = colors.HexColor("#c0392b")
GOAL_COLOUR = colors.HexColor("#2e7d32")
GRID = colors.HexColor("#d0d0d0")


def _scale_top(values: list[float], target_values: list[float], unit: str) -> float:
    top = max([*values, *target_values, 0.0])
    if unit == "percent":
        return 100.0
    return top * 1.1 if top > 0 else 1.0


def bar_drawing(indicator: Indicator, min_cell: int, wording: StatisticsWording) -> Drawing:
    """Horizontal bars for the four levels, the target limits as vertical lines."""
    width, bar_h, gap, left = 70 * mm, 4.5 * mm, 1.5 * mm, 20 * mm
    height = len(LEVELS) * (bar_h + gap) + 6 * mm
    drawing = Drawing(width, height)
    cells = [indicator.value(level) for level in LEVELS]
    limits = [v for _, v in indicator.target.lines] if indicator.target else []
    top = _scale_top([c.value for c in cells if c.has_value], limits, indicator.unit)
    span = width - left - 2 * mm

    def x_of(value: float) -> float:
        return left + span * min(max(value / top, 0.0), 1.0)

    for row, (level, cell) in enumerate(zip(LEVELS, cells, strict=True)):
        y = height - 4 * mm - (row + 1) * (bar_h + gap)
        label = wording.text(f"level.{level}")
        drawing.add(String(0, y + 1.3 * mm, label, fontName="Helvetica", fontSize=6.5))
        if cell.has_value:
            drawing.add(
                Rect(
                    left,
                    y,
                    x_of(cell.value) - left,
                    bar_h,
                    fillColor=LEVEL_COLOURS[level],
                    strokeColor=None,
                )
            )
        else:
            text = wording.cell(cell, indicator, min_cell)
            drawing.add(
                String(
                    left + 1 * mm,
                    y + 1.3 * mm,
                    text,
                    fontName="Helvetica-Oblique",
                    fontSize=6,
                    fillColor=colors.HexColor("#555555"),
                )
            )
    drawing.add(Line(left, 2 * mm, left, height - 4 * mm, strokeColor=GRID))
    if indicator.target:
        for name, value in indicator.target.lines:
            x = x_of(value)
            drawing.add(
                Line(
                    x,
                    2 * mm,
                    x,
                    height - 3 * mm,
                    strokeColor=TARGET_COLOUR if name == "min" else GOAL_COLOUR,
                    strokeWidth=1,
                    strokeDashArray=[2, 1.5],
                )
            )
            # The minimum's number left of its line, the goal's right: close limits stay legible.
            drawing.add(
                String(
                    x - 0.8 * mm if name == "min" else x + 0.8 * mm,
                    height - 3.2 * mm,
                    wording.number(value),
                    fontName="Helvetica",
                    fontSize=5.5,
                    textAnchor="end" if name == "min" else "start",
                )
            )
    return drawing


def trend_drawing(
    report: StatisticsReport, indicator: Indicator, wording: StatisticsWording
) -> Drawing:
    """The trend as lines (unit, region, nation), with gaps where a month is suppressed."""
    width, height, left, bottom = 174 * mm, 38 * mm, 12 * mm, 7 * mm
    drawing = Drawing(width, height)
    months = indicator.trend
    limits = [v for _, v in indicator.target.lines] if indicator.target else []
    values = [
        c.value for p in months for c in p.cells.values() if c.has_value and c.value is not None
    ]
    top = _scale_top(values, limits, indicator.unit)
    plot_w, plot_h = width - left - 40 * mm, height - bottom - 3 * mm
    step = plot_w / max(len(months) - 1, 1)

    def xy(index: int, value: float) -> tuple[float, float]:
        return left + index * step, bottom + plot_h * min(max(value / top, 0.0), 1.0)

    for fraction in (0.0, 0.5, 1.0):
        y = bottom + plot_h * fraction
        drawing.add(Line(left, y, left + plot_w, y, strokeColor=GRID, strokeWidth=0.4))
        drawing.add(
            String(0, y - 1, wording.number(top * fraction), fontSize=5.5, fontName="Helvetica")
        )
    for index, point in enumerate(months):
        drawing.add(
            String(
                left + index * step - 3 * mm,
                1 * mm,
                wording.month(point.month),
                fontSize=5.5,
                fontName="Helvetica",
            )
        )
    for name, value in indicator.target.lines if indicator.target else []:
        _, y = xy(0, value)
        drawing.add(
            Line(
                left,
                y,
                left + plot_w,
                y,
                strokeDashArray=[2, 1.5],
                strokeWidth=0.8,
                strokeColor=TARGET_COLOUR if name == "min" else GOAL_COLOUR,
            )
        )
    for level in TREND_LEVELS:
        colour = LEVEL_COLOURS[level]
        segment: list[float] = []
        for index, point in enumerate(months):
            cell = point.cells.get(level)
            if cell is not None and cell.has_value and cell.value is not None:
                segment.extend(xy(index, cell.value))
                continue
            _add_segment(drawing, segment, colour)
            segment = []
        _add_segment(drawing, segment, colour)
    legend = [(wording.text(f"level.{level}"), LEVEL_COLOURS[level]) for level in TREND_LEVELS]
    if indicator.target:
        legend.append((wording.text("target_line"), TARGET_COLOUR))
    for row, (label, colour) in enumerate(legend):
        y = height - 6 * mm - row * 4 * mm
        drawing.add(
            Line(
                left + plot_w + 4 * mm,
                y + 1,
                left + plot_w + 9 * mm,
                y + 1,
                strokeColor=colour,
                strokeWidth=1.5,
            )
        )
        drawing.add(String(left + plot_w + 10 * mm, y, label, fontSize=6, fontName="Helvetica"))
    return drawing


def _add_segment(drawing: Drawing, points: list[float], colour) -> None:
    if len(points) >= 4:
        drawing.add(PolyLine(points, strokeColor=colour, strokeWidth=1.2))
    for i in range(0, len(points), 2):
        drawing.add(
            Rect(points[i] - 0.8, points[i + 1] - 0.8, 1.6, 1.6, fillColor=colour, strokeColor=None)
        )
