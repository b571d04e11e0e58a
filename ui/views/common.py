"""Pieces the list views share: a sortable read-only table over a proxy, a page heading, and
the list page built from them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt, SignalInstance
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.models.reloader import ModelReloader
from ui.models.table_model import ROW_ROLE, RowTableModel, sorting_proxy

MAX_COLUMN_WIDTH = 320
# Column widths are measured on this many rows: measuring thousands costs the GUI thread
# a visible pause for no better fit.
COLUMN_SIZING_ROWS = 200


class RecordTable(QTableView):
    """A read-only, row-selecting, sortable table over ``model`` (through a sorting proxy)."""

    def __init__(
        self,
        model: RowTableModel,
        *,
        sort_column: int = 0,
        order: Qt.SortOrder = Qt.SortOrder.AscendingOrder,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.source_model = model
        self.proxy: QSortFilterProxyModel = sorting_proxy(model, self)
        self.setModel(self.proxy)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(True)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setResizeContentsPrecision(COLUMN_SIZING_ROWS)
        self.sortByColumn(sort_column, order)
        self._fitted = False
        # Rows come by a reset (refresh) or as insertions (update_rows): fit on the first.
        model.modelReset.connect(self.fit_columns_once)
        model.rowsInserted.connect(self.fit_columns_once)
        # Rows arriving while the table is not on screen (receipts during a sync) are not
        # sorted in one by one; the table sorts once when it is shown.
        self.proxy.setDynamicSortFilter(False)

    def showEvent(self, event: QShowEvent) -> None:
        self.proxy.setDynamicSortFilter(True)  # sorts what came while hidden, once
        super().showEvent(event)
        self.fit_columns_once()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.proxy.setDynamicSortFilter(False)

    def fit_columns_once(self) -> None:
        """Fit the columns when rows first appear on screen; later reloads keep the user's
        widths. A hidden table (receipts during a sync) waits until it is shown."""
        if not self._fitted and self.isVisible() and self.source_model.rowCount():
            self._fitted = True
            self.fit_columns()

    def fit_columns(self) -> None:
        """Columns as wide as their content, but no single one wider than a readable width
        (long texts such as errors are in the tooltip and the last, stretching column)."""
        last = self.source_model.columnCount() - 1
        for column in range(last):  # the last one stretches to the edge and elides
            self.resizeColumnToContents(column)
            if self.columnWidth(column) > MAX_COLUMN_WIDTH:
                self.setColumnWidth(column, MAX_COLUMN_WIDTH)

    def selected_row(self) -> Any | None:
        """The row object under the current selection, or None."""
        rows = self.selectionModel().selectedRows()
        if not rows:
            return None
        return self.proxy.data(rows[0], ROW_ROLE)

    def select_first(self) -> None:
        if self.proxy.rowCount():
            self.selectRow(0)


def heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.4)
    font.setBold(True)
    label.setFont(font)
    return label


NOTICE_STYLE = (
    "QLabel#pageNotice { background: #e8f5e9; border: 1px solid #a5d6a7; border-radius: 3px;"
    " padding: 6px; color: #1b5e20; }"
)


def notice_label() -> QLabel:
    """A hidden, wrapping line for what just happened on a page (longer than the status bar
    can show next to its permanent fields); the text can be selected, e.g. to copy a path."""
    label = QLabel()
    label.setObjectName("pageNotice")
    label.setWordWrap(True)
    label.setStyleSheet(NOTICE_STYLE)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def hint(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: #505050;")
    return label


class ListPage(QWidget):
    """A page listing ``model``'s rows: heading, summary, table and a row of buttons.

    Subclasses set the heading's text, add their buttons (``add_button``) and any widgets above
    the summary (``add_above_summary``), implement ``_update_state`` and call it once at the end
    of their ``__init__``; it then runs on every model reset and selection change.
    """

    def __init__(
        self,
        model: RowTableModel,
        *,
        table_name: str,
        sort_column: int = 0,
        order: Qt.SortOrder = Qt.SortOrder.AscendingOrder,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.table = RecordTable(model, sort_column=sort_column, order=order)
        self.table.setObjectName(table_name)
        self.title_label = heading("")
        self.summary = hint()
        self.notice = notice_label()
        self._buttons = QHBoxLayout()
        self._buttons.addStretch()

        self._layout = QVBoxLayout(self)
        self._layout.addWidget(self.title_label)
        self._layout.addWidget(self.notice)
        self._layout.addWidget(self.summary)
        self._layout.addWidget(self.table)
        self._layout.addLayout(self._buttons)

        # Rows change by a reset (refresh) or in place (update_rows, background reloads).
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved):
            signal.connect(self._update_state)
        self.table.selectionModel().selectionChanged.connect(self._update_state)
        # Set by the window when the page's rows are reloaded in the background.
        self.reloader: ModelReloader | None = None

    def add_button(self, text: str, slot: Callable[[], object] | SignalInstance) -> QPushButton:
        """A button after the ones already in the row (the row stays left-aligned)."""
        button = QPushButton(text)
        button.clicked.connect(slot)
        self._buttons.insertWidget(self._buttons.count() - 1, button)  # before the stretch
        return button

    def add_above_summary(self, widget: QWidget) -> None:
        self._layout.insertWidget(self._layout.indexOf(self.summary), widget)

    def show_notice(self, text: str) -> None:
        """Say what just happened, above the summary, until the page is shown again."""
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def refresh(self) -> None:
        self.notice.hide()  # coming back to the page: the notice is old news
        if self.reloader is not None:
            self.reloader.reload_now()  # thousands of rows: read off the GUI thread
        else:
            self.model.refresh()

    def _update_state(self, *_args: object) -> None:
        """Enable the buttons and word the summary for the current rows and selection."""
