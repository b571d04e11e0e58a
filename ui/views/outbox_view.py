"""Outbox: submitted reports not yet received by the registry, with what happened to them."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from local_cache import MessageState
from ui.models.messages_model import OutboxModel
from ui.views.common import RecordTable, heading, hint


class OutboxView(QWidget):
    sendNowRequested = Signal()

    def __init__(self, model: OutboxModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.table = RecordTable(
            model, sort_column=OutboxModel.COL_QUEUED, order=Qt.SortOrder.AscendingOrder
        )
        self.table.setObjectName("outboxTable")
        self.summary = hint()

        self.send_button = QPushButton(self.tr("&Send now"))
        self.send_button.clicked.connect(self.sendNowRequested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addStretch()

        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.tr("Outbox")))
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        layout.addLayout(buttons)

        model.modelReset.connect(self._update_summary)
        self._update_summary()

    def refresh(self) -> None:
        self.model.refresh()

    def _update_summary(self) -> None:
        rows = self.model.rows
        refused = sum(1 for record in rows if record.state == MessageState.REJECTED)
        waiting = len(rows) - refused
        if not rows:
            text = self.tr("Nothing waiting. Every submitted report has reached the registry.")
        else:
            text = ""
            if waiting:
                text = self.tr(
                    "%n report(s) waiting to be sent. They are kept on this computer and sent "
                    "automatically when the registry server can be reached.",
                    "",
                    waiting,
                )
            if refused:
                text += " " + self.tr(
                    "%n report(s) were refused by the registry; contact the registry's support "
                    "with the message details.",
                    "",
                    refused,
                )
        self.summary.setText(text.strip())
