"""The list of problems below a form; choosing one takes the user to its field."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from desktop_app.forms import Issue

from .texts import text

_MAX_ROWS = 4  # more scroll inside the list, so the form keeps most of the window

PATH_ROLE = Qt.ItemDataRole.UserRole


class IssueSummary(QFrame):
    """Hidden while there is nothing to fix."""

    fieldChosen = Signal(str)

    def __init__(self, lang: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lang = lang
        self._entries: list[tuple[Issue, str]] = []
        self.setObjectName("issueSummary")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        self.title = QLabel(self)
        self.title.setObjectName("issueSummaryTitle")
        self.title.setToolTip(text("summary.hint", lang))
        layout.addWidget(self.title)
        self.list = QListWidget(self)
        self.list.setObjectName("issueSummaryList")
        self.list.setAccessibleName(text("summary.hint", lang))
        self.list.setWordWrap(True)
        self.list.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.list.itemActivated.connect(self._chosen)
        self.list.itemClicked.connect(self._chosen)
        self.title.setBuddy(self.list)
        layout.addWidget(self.list)
        self.hide()

    def set_issues(self, entries: Sequence[tuple[Issue, str]]) -> None:
        """`entries`: (issue, label of its field or "") in form order."""
        entries = list(entries)
        if entries == self._entries:
            return  # called on every keystroke; rebuild only on a change
        self._entries = entries
        self.list.clear()
        for issue, field_label in entries:
            where = field_label or text("form_level", self.lang)
            message = issue.message(self.lang)
            if not issue.is_error:
                message = f"{text('warning', self.lang)}: {message}"
            item = QListWidgetItem(f"{where}: {message}")
            item.setData(PATH_ROLE, issue.path)
            item.setToolTip(message)
            self.list.addItem(item)
        count = len(entries)
        self.title.setText(
            text("summary.one", self.lang)
            if count == 1
            else text("summary.many", self.lang, count=count)
        )
        rows = min(count, _MAX_ROWS)
        # sizeHintForRow() is unreliable while the list is hidden; a text line is the floor.
        line = self.list.fontMetrics().lineSpacing() + 4
        row_height = max(self.list.sizeHintForRow(0), line) if count else 0
        self.list.setFixedHeight(rows * row_height + 2 * self.list.frameWidth() + 4)
        self.setVisible(count > 0)

    def paths(self) -> list[str]:
        return [self.list.item(i).data(PATH_ROLE) for i in range(self.list.count())]

    def focus_list(self) -> None:
        if self.list.count():
            self.list.setCurrentRow(0)
        self.list.setFocus(Qt.FocusReason.OtherFocusReason)

    def _chosen(self, item: QListWidgetItem) -> None:
        self.fieldChosen.emit(item.data(PATH_ROLE))
