"""A read-only table model over a list of row objects, with one column per ``Column``."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
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
        # The proxy asks for sort keys on every comparison (n log n calls): work each out once.
        # Keyed by the row object (kept in the entry, so its id is not reused), as subclasses
        # may move rows about in place.
        self._sort_keys: dict[tuple[int, int], tuple[Row, Any]] = {}

    # -- loading --------------------------------------------------------------------------

    def fetch(self) -> list[Row]:
        """Read the rows from the repository (runs on the cache worker: ModelReloader)."""
        raise NotImplementedError

    def refresh(self) -> None:
        """Read and show the rows at once, on the calling thread: for tools and tests that
        own no event loop. The window reloads through its ModelReloader instead."""
        self.set_rows(self.fetch())

    def set_rows(self, rows: list[Row]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._sort_keys.clear()
        self.endResetModel()

    def row_key(self, row: Row) -> Hashable:
        """What identifies a row across reloads (for ``update_rows``)."""
        raise NotImplementedError

    def row_changed(self, old: Row, new: Row) -> bool:
        """Whether a row with the same key shows differently."""
        return old != new

    def update_rows(self, rows: list[Row]) -> None:
        """Apply a fresh list as removed, changed and added rows instead of a reset.

        A reset makes the sorting proxy sort every row again through Python (hundreds of
        milliseconds for a thousand rows) and drops the user's selection; these finer
        signals let it move only the rows that changed, and the selection stays. Needs
        ``row_key``.
        """
        key = self.row_key
        fresh = {key(row): row for row in rows}
        gone = [i for i, row in enumerate(self._rows) if key(row) not in fresh]
        for first, last in reversed(runs(gone)):  # from the bottom: rows above keep numbers
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first : last + 1]
            self.endRemoveRows()
        changed: list[int] = []
        for i, old in enumerate(self._rows):
            new = fresh[key(old)]
            if self.row_changed(old, new):
                changed.append(i)
            self._rows[i] = new
        last_column = len(self.columns) - 1
        for first, last in runs(changed):
            self.dataChanged.emit(self.index(first, 0), self.index(last, last_column))
        known = {key(row) for row in self._rows}
        added = [row for row in rows if key(row) not in known]
        if added:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(added) - 1)
            self._rows.extend(added)
            self.endInsertRows()

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
            cell = (id(row), index.column())
            cached = self._sort_keys.get(cell)
            if cached is None or cached[0] is not row:
                if len(self._sort_keys) > 4 * len(self._rows) * len(self.columns) + 64:
                    self._sort_keys.clear()  # rows replaced in place: drop the old ones
                cached = self._sort_keys[cell] = (row, _sort_key(column, row))
            return cached[1]
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(row) or None
        if role == Qt.ItemDataRole.ForegroundRole and column.warn is not None and column.warn(row):
            return WARNING_COLOUR
        if role == ROW_ROLE:
            return row
        return None


def runs(rows: list[int]) -> list[tuple[int, int]]:
    """Ascending row numbers as (first, last) runs of consecutive rows."""
    found: list[tuple[int, int]] = []
    for row in rows:
        if found and found[-1][1] == row - 1:
            found[-1] = (found[-1][0], row)
        else:
            found.append((row, row))
    return found


def _sort_key(column: Column, row: Any) -> Any:
    key = column.sort_key(row) if column.sort_key else column.display(row)
    if isinstance(key, datetime):
        return key.isoformat()  # aware UTC: text order is time order
    return "" if key is None else key


def sorting_proxy(model: RowTableModel, parent: QObject | None = None) -> QSortFilterProxyModel:
    """The proxy every list view sits behind: sorts on SORT_ROLE, filters on all columns."""
    proxy = QSortFilterProxyModel(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    proxy.setFilterKeyColumn(-1)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    return proxy
