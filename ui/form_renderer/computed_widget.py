"""A computed field: read-only, shows what the engine works out from the other answers.

The form view hands it the value from `definition.compute_values()` and the labels of the
answers still missing; the widget never computes anything itself, so what it shows is what
the server will recompute. It is no Tab stop (nothing to type), but it can take the focus by
click or from the problem list, and its read-only line edit is selectable and read out by
screen readers.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QWidget

from .field_widgets import FieldWidget
from .number_text import format_number
from .texts import text

NOT_COMPUTED = "—"


class ComputedWidget(FieldWidget):
    def _build(self) -> QWidget:
        self._computed: object = None
        self._missing: tuple[str, ...] = ()
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        self.display = QLineEdit(NOT_COMPUTED)
        self.display.setObjectName("computedValue")
        self.display.setReadOnly(True)
        self.display.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.display.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.display.setMaximumWidth(self.display.fontMetrics().horizontalAdvance("0") * 10 + 16)
        layout.addWidget(self.display)
        if self.field.unit:
            unit = QLabel(self.field.unit)
            unit.setObjectName("fieldUnit")
            layout.addWidget(unit)
        badge = QLabel(text("computed.badge", self.lang))
        badge.setObjectName("fieldHelp")
        layout.addWidget(badge)
        layout.addStretch(1)
        return row

    def focus_widget(self) -> QWidget:
        return self.display

    def set_computed(self, value: object, missing: Sequence[str] = ()) -> None:
        """Show the engine's value, or "—" and which answers it still needs."""
        missing = tuple(missing) if value is None else ()
        if value == self._computed and missing == self._missing:
            return  # runs on every keystroke
        self._computed, self._missing = value, missing
        shown = NOT_COMPUTED if value is None else format_number(value, self.lang)
        self.display.setText(shown)
        self.display.setAccessibleDescription(self._derived_note())
        self._refresh_note()

    def _derived_note(self) -> str:
        if self._computed is not None or not self._missing:
            return ""
        return text("computed.missing", self.lang, fields=", ".join(self._missing))

    def _show(self, value: object) -> None:
        # A stored value is only a guess until the form view recomputes it.
        self._computed = value
        self.display.setText(NOT_COMPUTED if value is None else format_number(value, self.lang))

    def value(self) -> object:
        return self._computed
