"""The Statistics page's charts (QtCharts): the four levels as bars with the target as a line,
and the 12-month trend. (Breakdowns by region or hospital, up to sixty long names, are bars in
a table: ui.statistics.breakdown.)

This is the only module that imports PySide6.QtCharts; it is imported when the page is first
built (ui.lazy_page), never at start-up. Each chart is made for one indicator and thrown away
when another is shown: making one costs a few milliseconds, far less than keeping thirty.
"""

from __future__ import annotations

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalStackedBarSeries,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop_app.statistics.model import LEVELS, TREND_LEVELS, Cell, Indicator
from desktop_app.statistics.wording import StatisticsWording

LEVEL_COLOURS = {
    "unit": QColor("#1f77b4"),
    "hospital": QColor("#7fb3d5"),
    "region": QColor("#ff7f0e"),
    "nation": QColor("#7f7f7f"),
}
TARGET_COLOURS = {"min": QColor("#c0392b"), "goal": QColor("#2e7d32")}


class ChartView(QChartView):
    """A chart view that holds one chart at a time and deletes the one it replaces."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def show_chart(self, chart: QChart, height: int) -> None:
        old = self.chart()
        self.setChart(chart)
        self.setFixedHeight(height)
        if old is not None and old is not chart:
            old.deleteLater()


def _chart(wording: StatisticsWording) -> QChart:
    chart = QChart()
    locale = getattr(wording, "locale", None)
    if locale is not None:  # axis numbers with the UI's decimal comma
        chart.setLocale(locale)
        chart.setLocalizeNumbers(True)
    chart.setBackgroundRoundness(0)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.layout().setContentsMargins(0, 0, 0, 0)
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    return chart


def _value_top(values: list[float], indicator: Indicator) -> float:
    """The value axis's end: 100 for percentages, else a little above the largest (the axis
    then rounds it to a nice number)."""
    limits = [v for _, v in indicator.target.lines] if indicator.target else []
    top = max([*values, *limits, 0.0])
    if indicator.unit == "percent":
        return 100.0
    return top * 1.05 if top > 0 else 1.0


def _value_axis(top: float, decimals: int = 0) -> QValueAxis:
    axis = QValueAxis()
    if top == 100.0:
        # Percentages: ticks every 20 up to 100, and a little room above it so that a point
        # at 100 % is not cut in half by the plot's edge.
        axis.setRange(0, 104)
        axis.setTickType(QValueAxis.TickType.TicksDynamic)
        axis.setTickAnchor(0)
        axis.setTickInterval(20)
    else:
        axis.setRange(0, top)
        axis.setTickCount(6)
        axis.applyNiceNumbers()
    # printf-style; with the chart's localizeNumbers the locale's decimal comma is used.
    axis.setLabelFormat("%.0f" if decimals == 0 or top >= 20 else "%.1f")
    axis.setGridLineColor(QColor("#e0e0e0"))
    return axis


def _small(axis) -> None:
    font = QFont(axis.labelsFont())
    font.setPointSizeF(max(font.pointSizeF() * 0.9, 7.0))
    axis.setLabelsFont(font)


def _bar_label(
    label: str, cell: Cell, indicator: Indicator, min_cell: int, wording: StatisticsWording
) -> str:
    shown = wording.cell(cell, indicator, min_cell)
    return f"{label}: {shown}" if shown else label


def level_bar_chart(
    indicator: Indicator, labels: dict[str, str], min_cell: int, wording: StatisticsWording
) -> QChart:
    """Unit, hospital, region and nation as horizontal bars (unit first, at the top), each in
    its colour and labelled with its value or "fewer than 5 cases"; the target limits as
    vertical lines."""
    chart = _chart(wording)
    cells = {level: indicator.value(level) for level in LEVELS}
    # Horizontal bar charts draw the first category at the bottom: add them in reverse.
    order = list(reversed(LEVELS))
    # One set per level, each with its value in its own category only: stacked, every bar
    # then has its level's colour (a single QBarSet has one colour).
    series = QHorizontalStackedBarSeries()
    series.setBarWidth(0.6)
    for level in order:
        cell = cells[level]
        bars = QBarSet(labels[level])
        bars.setColor(LEVEL_COLOURS[level])
        bars.setBorderColor(LEVEL_COLOURS[level])
        value = cell.value if cell.has_value and cell.value is not None else 0.0
        bars.append([value if other == level else 0.0 for other in order])
        series.append(bars)
    chart.addSeries(series)

    categories = QBarCategoryAxis()
    categories.append(
        [_bar_label(labels[lvl], cells[lvl], indicator, min_cell, wording) for lvl in order]
    )
    top = _value_top(
        [c.value for c in cells.values() if c.has_value and c.value is not None], indicator
    )
    values = _value_axis(top, indicator.decimals)
    chart.addAxis(categories, Qt.AlignmentFlag.AlignLeft)
    chart.addAxis(values, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(categories)
    series.attachAxis(values)
    _add_targets(chart, indicator, wording, values, categories, len(order), vertical=True)
    for marker in chart.legend().markers(series):
        marker.setVisible(False)
    chart.legend().setVisible(indicator.target is not None)
    return chart


def _add_targets(
    chart: QChart,
    indicator: Indicator,
    wording: StatisticsWording,
    values: QValueAxis,
    categories: QBarCategoryAxis,
    count: int,
    *,
    vertical: bool,
) -> None:
    """The target limits as dashed lines across the chart (vertical over horizontal bars)."""
    if indicator.target is None:
        return
    lower = indicator.target.direction == "lower"
    for name, value in indicator.target.lines:
        line = QLineSeries()
        limit = wording.measure(value, indicator, trim=True)
        if name == "min":
            line.setName(
                wording.text("target.at_most" if lower else "target.at_least", limit=limit)
            )
        else:
            line.setName(wording.text("target.goal", goal=limit))
        if vertical:
            line.append([QPointF(value, -0.5), QPointF(value, count - 0.5)])
        else:
            line.append([QPointF(-0.5, value), QPointF(count - 0.5, value)])
        line.setPen(QPen(TARGET_COLOURS[name], 2, Qt.PenStyle.DashLine))
        chart.addSeries(line)
        line.attachAxis(values)
        line.attachAxis(categories)


def trend_chart(indicator: Indicator, labels: dict[str, str], wording: StatisticsWording) -> QChart:
    """Unit, region and nation month by month; a month whose cell is suppressed or empty
    leaves a gap in its line (the line is drawn in pieces)."""
    chart = _chart(wording)
    # The year on the first month and on each January only: twelve labels must fit.
    months = [
        wording.month(p.month, with_year=index == 0 or p.month.endswith("-01"))
        for index, p in enumerate(indicator.trend)
    ]
    categories = QBarCategoryAxis()
    categories.append(months)
    values_seen = [
        c.value
        for p in indicator.trend
        for c in p.cells.values()
        if c.has_value and c.value is not None
    ]
    values = _value_axis(_value_top(values_seen, indicator), indicator.decimals)
    chart.addAxis(categories, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(values, Qt.AlignmentFlag.AlignLeft)
    _small(categories)
    categories.setTruncateLabels(False)

    for level in TREND_LEVELS:
        pieces: list[QLineSeries] = []
        current: QLineSeries | None = None
        for index, point in enumerate(indicator.trend):
            cell = point.cells.get(level) or Cell()
            if not cell.has_value or cell.value is None:
                current = None
                continue
            if current is None:
                current = QLineSeries()
                pieces.append(current)
            current.append(QPointF(index, cell.value))
        for number, piece in enumerate(pieces):
            piece.setName(labels[level])
            pen = QPen(LEVEL_COLOURS[level], 3 if level == "unit" else 2)
            piece.setPen(pen)
            piece.setPointsVisible(True)
            piece.setMarkerSize(6 if level == "unit" else 4)
            chart.addSeries(piece)
            piece.attachAxis(categories)
            piece.attachAxis(values)
            if number:
                chart.legend().markers(piece)[0].setVisible(False)
    _add_targets(chart, indicator, wording, values, categories, len(months), vertical=False)
    return chart
