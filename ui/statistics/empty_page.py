"""What the Statistics page shows while it has no figures: why, and a button to fetch them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ui.views.common import heading, hint


class EmptyStatisticsPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        box = QWidget()
        box.setMaximumWidth(560)
        self.title = heading("")
        self.title.setObjectName("emptyTitle")
        self.text = hint()
        self.text.setObjectName("emptyText")
        for label in (self.title, self.text):
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.refresh_button = QPushButton(self.tr("Fetch statistics now"))
        button_row = QHBoxLayout()
        button_row.addStretch()
        button_row.addWidget(self.refresh_button)
        button_row.addStretch()
        inner = QVBoxLayout(box)
        inner.addWidget(self.title)
        inner.addWidget(self.text)
        inner.addLayout(button_row)
        # No alignment flags around the wrapping labels: they would lose their height for
        # width and overlap. Stretches centre the box instead.
        row = QHBoxLayout()
        row.addStretch()
        row.addWidget(box, 3)
        row.addStretch()
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)

    def show_reason(self, title: str, text: str) -> None:
        """`title`, and `text` with the fetch button under it (neither when `text` is empty)."""
        self.title.setText(title)
        self.text.setText(text)
        self.text.setVisible(bool(text))
        self.refresh_button.setVisible(bool(text))
