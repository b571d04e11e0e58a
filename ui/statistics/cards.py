"""The administrative figures as a row of cards: messages received, reporting coverage, median
days from diagnosis to report, open and overdue reminders (whatever the registry sends in the
"administrative" group), each with the unit's figure large and region and nation beside it.
Clicking a card shows that figure's charts."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from desktop_app.statistics.model import Indicator
from ui.statistics.formatting import QtWording, tr
from ui.statistics.indicator_list import STATUS_COLOURS

CARD_STYLE = (
    "QFrame#indicatorCard { background: palette(base); border: 1px solid #cfd8dc;"
    " border-radius: 4px; }"
    'QFrame#indicatorCard[current="true"] { border: 2px solid #1f77b4; }'
)


class IndicatorCard(QFrame):
    clicked = Signal(str)

    def __init__(
        self, indicator: Indicator, min_cell: int, wording: QtWording, parent=None
    ) -> None:
        super().__init__(parent)
        self.indicator_id = indicator.id
        self.setObjectName("indicatorCard")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(tr("Show the charts of this figure"))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(2)
        self.title = QLabel(indicator.title_text(wording.lang))
        self.title.setWordWrap(True)
        self.title.setStyleSheet("color: #404040;")
        unit_cell = indicator.value("unit")
        self.value = QLabel(wording.cell(unit_cell, indicator, min_cell) or "–")
        self.value.setObjectName("cardValue")
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * (1.5 if unit_cell.has_value else 1.0))
        font.setBold(unit_cell.has_value)
        self.value.setFont(font)
        colour = STATUS_COLOURS.get(indicator.status or "")
        if colour is not None:
            self.value.setStyleSheet(f"color: {colour.name()};")
        others = [
            f"{wording.text(f'level.{level}')} "
            f"{wording.cell(indicator.value(level), indicator, min_cell, short=True) or '–'}"
            for level in ("region", "nation")
        ]
        self.context = QLabel(" · ".join(others))
        self.context.setStyleSheet("color: #606060;")
        self.context.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addWidget(self.value)
        layout.addWidget(self.context)
        if indicator.target is not None:
            target = QLabel(
                tr("Target: {0}").format(wording.target(indicator.target, indicator, short=True))
            )
            target.setStyleSheet("color: #606060;")
            target.setWordWrap(True)
            layout.addWidget(target)
        layout.addStretch()

    def set_current(self, current: bool) -> None:
        self.setProperty("current", current)
        self.style().unpolish(self)
        self.style().polish(self)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.indicator_id)
        super().mouseReleaseEvent(event)


class CardRow(QWidget):
    """The cards of one registry's administrative figures, side by side."""

    indicatorChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(CARD_STYLE)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(8)
        self.cards: list[IndicatorCard] = []

    def set_indicators(
        self, indicators: list[Indicator], min_cell: int, wording: QtWording
    ) -> None:
        for card in self.cards:
            self._layout.removeWidget(card)
            card.deleteLater()
        self.cards = [IndicatorCard(i, min_cell, wording, self) for i in indicators]
        for card in self.cards:
            card.clicked.connect(self.indicatorChosen)
            self._layout.addWidget(card)
        self.setVisible(bool(self.cards))

    def set_current(self, indicator_id: str | None) -> None:
        for card in self.cards:
            card.set_current(card.indicator_id == indicator_id)
