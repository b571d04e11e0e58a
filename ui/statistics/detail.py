"""One indicator in full: its title and description, the target and how the unit stands, the
figures of the unit, hospital, region and nation (a table beside their bar chart), the 12-month
trend and, where the registry gives one, the breakdown by region or hospital."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.statistics.model import LEVELS, Cell, Indicator, StatisticsReport
from ui.statistics.breakdown import BreakdownTable
from ui.statistics.charts import ChartView, level_bar_chart, trend_chart
from ui.statistics.formatting import QtWording, tr
from ui.statistics.indicator_list import STATUS_COLOURS, SUPPRESSED_COLOUR

BAR_HEIGHT = 190
TREND_HEIGHT = 250


def _label(text: str = "", *, hint: bool = False, bold: bool = False, scale: float = 1.0):
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if hint:
        label.setStyleSheet("color: #505050;")
    if bold or scale != 1.0:
        font = QFont(label.font())
        font.setBold(bold)
        font.setPointSizeF(font.pointSizeF() * scale)
        label.setFont(font)
    return label


class IndicatorDetail(QWidget):
    def __init__(self, wording: QtWording, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.wording = wording
        self.indicator: Indicator | None = None
        self.title = _label(bold=True, scale=1.2)
        self.title.setObjectName("indicatorTitle")
        self.description = _label(hint=True)
        self.target = _label()
        self.target.setObjectName("indicatorTarget")

        self.figures = QTableWidget(len(LEVELS), 3)
        self.figures.setObjectName("indicatorFigures")
        self.figures.setHorizontalHeaderLabels(
            [wording.text("col.level"), wording.text("col.value"), wording.text("col.cases")]
        )
        self.figures.verticalHeader().hide()
        self.figures.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.figures.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.figures.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.figures.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.figures.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.figures.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.figures.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

        self.bar_view = ChartView()
        self.bar_view.setObjectName("levelChart")
        self.trend_heading = _label(wording.text("trend"), bold=True)
        self.trend_view = ChartView()
        self.trend_view.setObjectName("trendChart")
        self.trend_note = _label(hint=True)
        self.trend_note.setObjectName("trendNote")
        self.breakdown_heading = _label(bold=True)
        self.breakdown = BreakdownTable(wording)

        top = QHBoxLayout()
        top.addWidget(self.figures, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.bar_view, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.description)
        layout.addWidget(self.target)
        layout.addLayout(top)
        layout.addWidget(self.trend_heading)
        layout.addWidget(self.trend_view)
        layout.addWidget(self.trend_note)
        layout.addWidget(self.breakdown_heading)
        layout.addWidget(self.breakdown)
        layout.addStretch()

    def show_indicator(self, report: StatisticsReport, indicator: Indicator) -> None:
        w = self.wording
        self.indicator = indicator
        min_cell = report.min_cell
        self.title.setText(indicator.title_text(w.lang))
        description = indicator.description_text(w.lang)
        self.description.setText(description)
        self.description.setVisible(bool(description))
        self._show_target(indicator)

        names = {
            "unit": report.unit.name,
            "hospital": report.unit.hospital_name,
            "region": report.unit.region_name,
        }
        labels = {level: w.text(f"level.{level}") for level in LEVELS}
        for row, level in enumerate(LEVELS):
            cell = indicator.value(level)
            name = QTableWidgetItem(labels[level])
            name.setToolTip(names.get(level) or "")
            value = QTableWidgetItem(w.cell(cell, indicator, min_cell))
            value.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if cell.suppressed:
                value.setForeground(SUPPRESSED_COLOUR)
                font = value.font()
                font.setItalic(True)
                value.setFont(font)
                value.setToolTip(
                    tr("The registry does not show figures of fewer than {0} cases.").format(
                        min_cell
                    )
                )
            cases = QTableWidgetItem(w.cases(cell))
            cases.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if level == "unit":
                for item in (name, value, cases):
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
            self.figures.setItem(row, 0, name)
            self.figures.setItem(row, 1, value)
            self.figures.setItem(row, 2, cases)
        # A count's cases are its value: no second column saying the same.
        self.figures.setColumnHidden(2, indicator.kind == "count")
        self.figures.resizeColumnsToContents()
        self.figures.resizeRowsToContents()
        height = self.figures.horizontalHeader().height() + 2 * self.figures.frameWidth()
        height += sum(self.figures.rowHeight(r) for r in range(len(LEVELS)))
        self.figures.setFixedHeight(height)
        shown = [c for c in range(3) if not self.figures.isColumnHidden(c)]
        width = sum(self.figures.columnWidth(c) for c in shown) + 2 * self.figures.frameWidth()
        self.figures.setFixedWidth(width + 2)

        self.bar_view.show_chart(level_bar_chart(indicator, labels, min_cell, w), BAR_HEIGHT)

        has_trend = bool(indicator.trend)
        self.trend_heading.setVisible(has_trend)
        self.trend_view.setVisible(has_trend)
        if has_trend:
            self.trend_view.show_chart(trend_chart(indicator, labels, w), TREND_HEIGHT)
        suppressed = [
            w.month(p.month) for p in indicator.trend if (p.cells.get("unit") or Cell()).suppressed
        ]
        empty = [
            w.month(p.month)
            for p in indicator.trend
            if (cell := p.cells.get("unit") or Cell()).value is None and not cell.suppressed
        ]
        notes = []
        if suppressed:
            notes.append(
                tr("Your unit had fewer than {0} cases in {1}: not shown.").format(
                    min_cell, ", ".join(suppressed)
                )
            )
        if empty:
            notes.append(tr("Your unit had no cases in {0}.").format(", ".join(empty)))
        self.trend_note.setText(" ".join(notes))
        self.trend_note.setVisible(bool(notes))
        self._show_breakdown(report, indicator)

    def _show_target(self, indicator: Indicator) -> None:
        w = self.wording
        if indicator.target is None:
            self.target.setText(tr("No target set for this indicator."))
            self.target.setStyleSheet("color: #505050;")
            return
        text = tr("Target: {0}").format(w.target(indicator.target, indicator))
        status = w.status(indicator.status)
        if status:
            text = f"{text} — {status}"
        elif indicator.value("unit").suppressed:
            text = f"{text} — {tr('too few cases to compare')}"
        colour = STATUS_COLOURS.get(indicator.status or "")
        self.target.setStyleSheet(f"color: {colour.name()};" if colour else "")
        self.target.setText(text)

    def _show_breakdown(self, report: StatisticsReport, indicator: Indicator) -> None:
        if indicator.by_hospital:
            areas, own, heading = indicator.by_hospital, report.unit.hospital_code, "by_hospital"
        elif indicator.by_region:
            areas, own, heading = indicator.by_region, report.unit.region, "by_region"
        else:
            self.breakdown_heading.hide()
            self.breakdown.hide()
            return
        self.breakdown_heading.setText(self.wording.text(heading))
        self.breakdown.show_areas(indicator, areas, own, report.min_cell)
        self.breakdown_heading.show()
        self.breakdown.show()
