"""Outbox: submitted reports not yet received by the registry, with what happened to them."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QWidget

from local_cache import MessageState
from ui.models.messages_model import OutboxModel
from ui.views.common import ListPage


class OutboxView(ListPage):
    sendNowRequested = Signal()

    def __init__(self, model: OutboxModel, parent: QWidget | None = None) -> None:
        super().__init__(
            model,
            table_name="outboxTable",
            sort_column=OutboxModel.COL_QUEUED,
            order=Qt.SortOrder.AscendingOrder,
            parent=parent,
        )
        self.title_label.setText(self.tr("Outbox"))
        # Sending does not depend on the selection: the button is always enabled.
        self.send_button = self.add_button(self.tr("&Send now"), self.sendNowRequested)
        self._update_state()

    def _update_state(self, *_args: object) -> None:
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
