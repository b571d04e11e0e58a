"""A page whose widget is made the first time it is shown: what it imports (a charting
library, say) costs nothing at start-up or sign-in."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget


class LazyPage(QWidget):
    def __init__(self, factory: Callable[[], QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._factory = factory
        self.page: QWidget | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def ensure_page(self) -> QWidget:
        if self.page is None:
            self.page = self._factory()
            self._layout.addWidget(self.page)
        return self.page

    def showEvent(self, event: QShowEvent) -> None:
        self.ensure_page()
        super().showEvent(event)

    def refresh(self) -> None:
        refresh = getattr(self.ensure_page(), "refresh", None)
        if refresh is not None:
            refresh()
