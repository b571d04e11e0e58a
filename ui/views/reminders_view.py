"""Reminders: reports the registry still expects from the unit, as last fetched (works offline)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.models.formatting import local_time
from ui.models.reminders_model import RemindersModel
from ui.views.common import RecordTable, heading, hint


class RemindersView(QWidget):
    createDraftRequested = Signal(dict)  # the reminder

    def __init__(self, model: RemindersModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.table = RecordTable(model, sort_column=RemindersModel.COL_DUE)
        self.table.setObjectName("remindersTable")
        self.table.activated.connect(lambda _index: self.create_draft_for_selected())
        self.fetched_label = QLabel()
        self.fetched_label.setObjectName("remindersFetched")
        self.summary = hint()

        self.create_button = QPushButton(self.tr("&Create draft for this reminder"))
        self.create_button.clicked.connect(self.create_draft_for_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.create_button)
        buttons.addStretch()

        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.tr("Reminders")))
        layout.addWidget(self.fetched_label)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        layout.addLayout(buttons)

        model.modelReset.connect(self._update_state)
        self.table.selectionModel().selectionChanged.connect(self._update_state)
        self._update_state()

    def refresh(self) -> None:
        self.model.refresh()

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
