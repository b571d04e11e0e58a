"""The list of a registry's indicators: title, the unit's figure, the nation's, the target, and
a coloured mark for how the unit stands against the target. Choosing a row shows its charts."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from desktop_app.statistics.model import Indicator
from ui.models.table_model import ROW_ROLE, Column, RowTableModel
from ui.statistics.formatting import QtWording, tr

STATUS_COLOURS = {"goal": QColor("#2e7d32"), "min": QColor("#e69500"), "below": QColor("#c0392b")}
SUPPRESSED_COLOUR = QColor("#6d6d6d")
ALIGNMENT_ROLE = Qt.ItemDataRole.TextAlignmentRole
FOREGROUND_ROLE = Qt.ItemDataRole.ForegroundRole
DECORATION_ROLE = Qt.ItemDataRole.DecorationRole


class IndicatorListModel(RowTableModel[Indicator]):
    COL_TITLE, COL_UNIT, COL_NATION, COL_TARGET = range(4)

    def __init__(self, wording: QtWording, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.wording = wording
        self.min_cell = 5
        w = wording
        self.columns = (
            Column(tr("Indicator"), lambda i: i.title_text(w.lang), tooltip=self._tooltip),
            Column(
                w.text("level.unit"),
                lambda i: w.cell(i.value("unit"), i, self.min_cell, short=True),
                tooltip=lambda i: w.cell(i.value("unit"), i, self.min_cell),
            ),
            Column(
                w.text("level.nation"),
                lambda i: w.cell(i.value("nation"), i, self.min_cell, short=True),
            ),
            Column(
                tr("Target"),
                lambda i: w.target(i.target, i, short=True),
                tooltip=lambda i: w.target(i.target, i),
            ),
        )

    def set_indicators(self, indicators: list[Indicator], min_cell: int) -> None:
        self.min_cell = min_cell
        self.set_rows(indicators)

    def row_key(self, row: Indicator) -> str:
        return row.id

    def _tooltip(self, indicator: Indicator) -> str:
        parts = [indicator.description_text(self.wording.lang)]
        status = self.wording.status(indicator.status)
        if status:
            parts.append(status)
        return "\n".join(p for p in parts if p)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        column = index.column() if index.isValid() else -1
        if column in (self.COL_UNIT, self.COL_NATION) and role == ALIGNMENT_ROLE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if column == self.COL_UNIT and role in (FOREGROUND_ROLE, DECORATION_ROLE):
            indicator = self.row_at(index.row())
            if indicator.value("unit").suppressed:
                return SUPPRESSED_COLOUR if role == FOREGROUND_ROLE else None
            return STATUS_COLOURS.get(indicator.status or "")
        return super().data(index, role)


class IndicatorList(QTableView):
    """The indicators of one registry, in the registry's order; `indicatorChosen(id)`."""

    indicatorChosen = Signal(str)

    def __init__(self, model: IndicatorListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("indicatorList")
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        # Long titles wrap onto a second line rather than being cut.
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.verticalHeader().setMinimumSectionSize(self.fontMetrics().height() + 12)
        header = self.horizontalHeader()
        header.setSectionResizeMode(IndicatorListModel.COL_TITLE, QHeaderView.ResizeMode.Stretch)
        for column in (
            IndicatorListModel.COL_UNIT,
            IndicatorListModel.COL_NATION,
            IndicatorListModel.COL_TARGET,
        ):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.selectionModel().currentRowChanged.connect(self._current_changed)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            indicator = self.model().data(current, ROW_ROLE)
            if indicator is not None:
                self.indicatorChosen.emit(indicator.id)

    def select_indicator(self, indicator_id: str) -> bool:
        model: IndicatorListModel = self.model()
        for row in range(model.rowCount()):
            if model.row_at(row).id == indicator_id:
                self.selectRow(row)
                return True
        return False
