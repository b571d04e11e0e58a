"""A breakdown by region or hospital as bars in a table: name, the value with its bar, cases.

Sixty hospitals with long names read better as rows than as a chart's category axis (which
elides long labels). Largest first; the unit's own row in bold with the unit's colour;
suppressed and empty rows last, marked in words ("fewer than 5 cases", "no cases").
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from desktop_app.statistics.model import AreaCell, Indicator
from ui.models.table_model import Column, RowTableModel
from ui.statistics.charts import LEVEL_COLOURS, TARGET_COLOURS
from ui.statistics.formatting import QtWording
from ui.statistics.indicator_list import SUPPRESSED_COLOUR

OTHER_AREAS = QColor("#9ecae1")
BAR_ROLE = Qt.ItemDataRole.UserRole + 10  # (fraction of the widest bar, is own area) or None


class BreakdownModel(RowTableModel[AreaCell]):
    COL_NAME, COL_VALUE, COL_CASES = range(3)

    def __init__(self, wording: QtWording, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.wording = wording
        self.indicator: Indicator | None = None
        self.own = ""
        self.min_cell = 5
        self.top = 1.0
        w = wording
        self.columns = (
            Column(w.text("col.name"), lambda a: a.name or a.code),
            Column(w.text("col.value"), self._value_text),
            Column(w.text("col.cases"), lambda a: w.cases(a.cell)),
        )

    def set_areas(
        self, indicator: Indicator, areas: list[AreaCell], own: str, min_cell: int, top: float
    ) -> None:
        self.indicator, self.own, self.min_cell, self.top = indicator, own, min_cell, top
        ordered = sorted(
            areas,
            key=lambda a: (
                not a.cell.has_value,
                not a.cell.suppressed,
                -(a.cell.value or 0.0),
                a.name,
            ),
        )
        self.set_rows(ordered)

    def row_key(self, row: AreaCell) -> str:
        return row.code

    def _value_text(self, area: AreaCell) -> str:
        if self.indicator is None:
            return ""
        return self.wording.cell(area.cell, self.indicator, self.min_cell)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        area = self.row_at(index.row())
        own = bool(self.own) and area.code == self.own
        if role == Qt.ItemDataRole.FontRole and own:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and not area.cell.has_value:
            return SUPPRESSED_COLOUR
        if index.column() == self.COL_VALUE and role == BAR_ROLE:
            if not area.cell.has_value or area.cell.value is None:
                return None
            return (max(0.0, min(area.cell.value / self.top, 1.0)), own)
        numeric = index.column() in (self.COL_VALUE, self.COL_CASES)
        if numeric and role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return super().data(index, role)


class BarDelegate(QStyledItemDelegate):
    """Draws the value's bar under its text; the target limits as thin vertical lines."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.limits: list[tuple[str, float]] = []  # (name, fraction of the widest bar)
        self.text_width = 60  # of the widest value text in the column, set with the rows

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        bar = index.data(BAR_ROLE)
        # The bars end before the widest value's text, which is drawn right-aligned over them.
        area = option.rect.adjusted(4, 3, -(self.text_width + 12), -3)
        painter.save()
        if bar is not None:
            fraction, own = bar
            width = round(area.width() * fraction)
            colour = LEVEL_COLOURS["unit"] if own else OTHER_AREAS
            painter.fillRect(QRect(area.left(), area.top(), width, area.height()), colour)
        for name, fraction in self.limits:
            x = area.left() + round(area.width() * fraction)
            painter.setPen(QPen(TARGET_COLOURS[name], 1.5, Qt.PenStyle.DashLine))
            painter.drawLine(x, option.rect.top(), x, option.rect.bottom())
        painter.restore()
        super().paint(painter, option, index)


class BreakdownTable(QTableView):
    """All rows shown at once (the page scrolls, not this table)."""

    def __init__(self, wording: QtWording, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("breakdownTable")
        self.breakdown_model = BreakdownModel(wording, self)
        self.setModel(self.breakdown_model)
        self.delegate = BarDelegate(self)
        self.setItemDelegateForColumn(BreakdownModel.COL_VALUE, self.delegate)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.horizontalHeader()
        header.setSectionResizeMode(
            BreakdownModel.COL_NAME, QHeaderView.ResizeMode.ResizeToContents
        )
        header.setSectionResizeMode(BreakdownModel.COL_VALUE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(
            BreakdownModel.COL_CASES, QHeaderView.ResizeMode.ResizeToContents
        )

    def show_areas(
        self, indicator: Indicator, areas: list[AreaCell], own: str, min_cell: int
    ) -> None:
        limits = [v for _, v in indicator.target.lines] if indicator.target else []
        values = [a.cell.value for a in areas if a.cell.has_value and a.cell.value is not None]
        top = 100.0 if indicator.unit == "percent" else max([*values, *limits, 0.0]) or 1.0
        self.delegate.limits = [
            (name, value / top)
            for name, value in (indicator.target.lines if indicator.target else [])
        ]
        self.breakdown_model.set_areas(indicator, areas, own, min_cell, top)
        texts = [
            self.breakdown_model.data(self.breakdown_model.index(row, BreakdownModel.COL_VALUE))
            for row in range(self.breakdown_model.rowCount())
            if self.breakdown_model.row_at(row).cell.has_value
        ]
        bold = QFont(self.font())
        bold.setBold(True)
        self.delegate.text_width = max(
            (QFontMetrics(bold).horizontalAdvance(t or "") for t in texts), default=0
        )
        self.setColumnHidden(BreakdownModel.COL_CASES, indicator.kind == "count")
        rows = self.breakdown_model.rowCount()
        height = self.horizontalHeader().sizeHint().height() + 2 * self.frameWidth()
        height += rows * self.verticalHeader().defaultSectionSize()
        self.setFixedHeight(height)
