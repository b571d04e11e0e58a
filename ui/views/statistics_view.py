"""The Statistics page (to be written): the unit's indicators against region, nation and
target, from the cached GET /statistics answer."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui.views.common import heading


class StatisticsView(QWidget):
    def __init__(self, services, session, names, bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.tr("Statistics")))
        layout.addWidget(QLabel(self.tr("Not built yet.")))
        layout.addStretch()
