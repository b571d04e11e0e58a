"""Drafts: unfinished reports on this PC; open one to continue, or delete it."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from ui.models.messages_model import DraftsModel
from ui.views.common import ListPage
from ui.workers import run_on_cache

log = logging.getLogger(__name__)


class DraftsView(ListPage):
    openRequested = Signal(str)  # message id
    draftDeleted = Signal(str)  # message id, once it is gone from the cache

    def __init__(self, model: DraftsModel, parent: QWidget | None = None) -> None:
        super().__init__(
            model,
            table_name="draftsTable",
            sort_column=DraftsModel.COL_CHANGED,
            order=Qt.SortOrder.DescendingOrder,
            parent=parent,
        )
        self.title_label.setText(self.tr("Drafts"))
        self.table.activated.connect(lambda _index: self.open_selected())
        self.open_button = self.add_button(self.tr("&Open"), self.open_selected)
        self.delete_button = self.add_button(self.tr("&Delete…"), self.delete_selected)
        model.rowsRemoved.connect(self._update_state)  # deleting a draft removes one row
        self._update_state()

    def open_selected(self) -> None:
        record = self.table.selected_row()
        if record is not None:
            self.openRequested.emit(record.id)

    def delete_selected(self) -> None:
        record = self.table.selected_row()
        if record is None:
            return
        answer = QMessageBox.question(
            self,
            self.tr("Delete draft"),
            self.tr("Delete this draft for good? What you entered in it cannot be recovered."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        model, message_id = self.model, record.id
        self.delete_button.setEnabled(False)
        run_on_cache(
            lambda: model.delete_stored(message_id),
            lambda _none: self._deleted(message_id),
            self._delete_failed,
            parent=self,
        )

    def _deleted(self, message_id: str) -> None:
        self.model.remove_message(message_id)
        self.draftDeleted.emit(message_id)

    def _delete_failed(self, error: BaseException) -> None:
        log.warning("Deleting a draft failed: %s", type(error).__name__)
        self._update_state()
        self.show_notice(
            self.tr("The draft could not be deleted ({0}). Try again.").format(
                getattr(error, "message", None) or type(error).__name__
            )
        )

    def _update_state(self, *_args: object) -> None:
        selected = self.table.selected_row() is not None
        self.open_button.setEnabled(selected)
        self.delete_button.setEnabled(selected)
        count = self.model.rowCount()
        returned = sum(1 for record in self.model.rows if record.server_issues)
        if count == 0:
            text = self.tr("No drafts. Start a report under New report.")
        else:
            text = self.tr("%n draft(s) saved on this computer.", "", count)
            if returned:
                text += " " + self.tr(
                    "%n came back from the registry with remarks to fix.", "", returned
                )
        self.summary.setText(text)
