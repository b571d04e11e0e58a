"""A read-only table model over a list of row objects, with one column per ``Column``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor

Row = TypeVar("Row")

# Proxies sort on this role, so dates sort as dates rather than as displayed text.
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
# The row object itself, for views that act on a selected row.
ROW_ROLE = Qt.ItemDataRole.UserRole + 2

Index = QModelIndex | QPersistentModelIndex

WARNING_COLOUR = QColor("#b00020")


@dataclass(frozen=True)
class Column(Generic[Row]):
    title: str
    display: Callable[[Row], str]
    sort_key: Callable[[Row], Any] | None = None
    tooltip: Callable[[Row], str] | None = None
    warn: Callable[[Row], bool] | None = None  # shown in the warning colour when true


class RowTableModel(QAbstractTableModel, Generic[Row]):
    """Subclasses set ``columns`` and implement ``fetch()``; ``refresh()`` reloads everything."""

    columns: Sequence[Column[Row]] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []

    # -- loading --------------------------------------------------------------------------

    def fetch(self) -> list[Row]:
        """Read the rows from the repository (may run off the GUI thread)."""
        raise NotImplementedError

    def refresh(self) -> None:
        self.set_rows(self.fetch())

    def set_rows(self, rows: list[Row]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Row:
        return self._rows[row]

    @property
    def rows(self) -> list[Row]:
        return list(self._rows)

    # -- QAbstractTableModel --------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.display(row)
        if role == SORT_ROLE:
            key = column.sort_key(row) if column.sort_key else column.display(row)
            if isinstance(key, datetime):
                return key.isoformat()  # aware UTC: text order is time order
            return "" if key is None else key
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(row) or None
        if role == Qt.ItemDataRole.ForegroundRole and column.warn is not None and column.warn(row):
            return WARNING_COLOUR
        if role == ROW_ROLE:
            return row
        return None


def sorting_proxy(model: RowTableModel, parent: QObject | None = None) -> QSortFilterProxyModel:
    """The proxy every list view sits behind: sorts on SORT_ROLE, filters on all columns."""
    proxy = QSortFilterProxyModel(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    proxy.setFilterKeyColumn(-1)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    return proxy
