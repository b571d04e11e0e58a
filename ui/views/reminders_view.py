"""Reminders: reports the registry still expects from the unit, as last fetched (works offline)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QWidget

from ui.models.formatting import local_time
from ui.models.reminders_model import RemindersModel
from ui.views.common import ListPage


class RemindersView(ListPage):
    createDraftRequested = Signal(dict)  # the reminder

    def __init__(self, model: RemindersModel, parent: QWidget | None = None) -> None:
        super().__init__(
            model, table_name="remindersTable", sort_column=RemindersModel.COL_DUE, parent=parent
        )
        self.title_label.setText(self.tr("Reminders"))
        self.table.activated.connect(lambda _index: self.create_draft_for_selected())
        self.fetched_label = QLabel()
        self.fetched_label.setObjectName("remindersFetched")
        self.add_above_summary(self.fetched_label)
        self.create_button = self.add_button(
            self.tr("&Create draft for this reminder"), self.create_draft_for_selected
        )
        self._update_state()

    def create_draft_for_selected(self) -> None:
        reminder = self.table.selected_row()
        if reminder is not None:
            self.createDraftRequested.emit(dict(reminder))

    def _update_state(self, *_args: object) -> None:
        self.create_button.setEnabled(self.table.selected_row() is not None)
        fetched_at = self.model.fetched_at
        if fetched_at is None:
            self.fetched_label.setText(
                self.tr(
                    "Last fetched: never. Reminders are fetched when the server can be reached."
                )
            )
        else:
            self.fetched_label.setText(self.tr("Last fetched: {0}").format(local_time(fetched_at)))
        count = self.model.rowCount()
        self.summary.setText(
            self.tr("No open reminders for your unit.")
            if count == 0
            else self.tr("%n report(s) the registry expects from your unit.", "", count)
        )
