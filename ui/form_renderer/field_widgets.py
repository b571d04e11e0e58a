"""One widget class per field type: show a value, return it, show its issues.

The Picard option-page idea at form scale: a `FieldWidget` knows its `FieldDef`, `set_value()`
shows a stored JSON value without emitting `changed`, `value()` returns the JSON value of the
contract (None when unanswered) and `set_issues()` puts the validation messages under it.

Typed inputs (line and text edits) also say when the user is done with them: `leaving` on
Tab/Shift+Tab (before the focus moves) and `committed` once the field loses the focus, on Return
or on a pick from a list or calendar. The form view holds new problems back until then, so a
half-typed answer is not called wrong ("reward early, punish late").

Input that does not parse (an integer field holding "12a") is kept as typed and returned as the
raw string, so validation reports it and nothing the user typed is lost.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import ClassVar

from PySide6.QtCore import (
    QDate,
    QEvent,
    QModelIndex,
    QObject,
    QPoint,
    QSignalBlocker,
    QStringListModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QFocusEvent, QKeyEvent, QValidator, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCalendarWidget,
    QCheckBox,
    QComboBox,
    QCompleter,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QRadioButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from desktop_app.forms import (
    FieldDef,
    Issue,
    birth_date_of,
    gender_of,
    identity_kind,
    is_answered,
    is_valid_identity_number,
)

from .number_text import format_number, parse_decimal, parse_integer
from .texts import text

CODE_SEPARATOR = " – "  # between code and label in the code completer


class UnknownFieldTypeError(ValueError):
    """A definition names a field type the renderer has no widget for."""


# Focus moves that do not mean the user has left the field: a list or menu popping up over it,
# or the whole window losing the focus to another program.
_STAYING_REASONS = frozenset(
    {
        Qt.FocusReason.PopupFocusReason,
        Qt.FocusReason.ActiveWindowFocusReason,
        Qt.FocusReason.MenuBarFocusReason,
    }
)
_TAB_KEYS = frozenset({Qt.Key.Key_Tab, Qt.Key.Key_Backtab})
_RETURN_KEYS = frozenset({Qt.Key.Key_Return, Qt.Key.Key_Enter})


class FieldWidget(QWidget):
    """Base class: an input row, an optional help line and a line for issues."""

    changed = Signal()
    leaving = Signal()  # Tab or Shift+Tab pressed in a typed input, before the focus moves
    committed = Signal()  # the user is done with a typed input (focus out, Return, a pick)

    # True for inputs filled in keystroke by keystroke (their answer is unfinished while the
    # user types); choice widgets are False: each change there is a finished answer.
    TYPED: ClassVar[bool] = False

    def __init__(self, field: FieldDef, lang: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self.lang = lang
        self._loading = False
        self._issues: list[Issue] = []
        self._issue_state = ""  # "", "warning" or "error": the styled "issue" property
        self._issues_lang = lang
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        # Take the row's full width so help and issue lines wrap at the form's width, not
        # at the width of a small input.
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        layout.addWidget(self._build())
        self._note = QLabel(self)  # facts derived from the answer (code label, birth date)
        self._note.setObjectName("fieldNote")
        self._note.setWordWrap(True)
        self._note.hide()
        layout.addWidget(self._note)
        help_text = field.help_text(lang)
        if help_text:
            help_label = QLabel(help_text, self)
            help_label.setObjectName("fieldHelp")
            help_label.setWordWrap(True)
            layout.addWidget(help_label)
            self._accessible_target().setAccessibleDescription(help_text)
        self._issue_label = QLabel(self)
        self._issue_label.setObjectName("fieldIssue")
        self._issue_label.setWordWrap(True)
        self._issue_label.setTextFormat(Qt.TextFormat.PlainText)
        self._issue_label.hide()
        layout.addWidget(self._issue_label)
        self._accessible_target().setProperty("issue", "")
        self._issue_label.setProperty("severity", "")
        self.setFocusProxy(self.focus_widget())
        self._accessible_target().setAccessibleName(field.label_text(lang))
        if self.TYPED:
            self.focus_widget().installEventFilter(self)

    # Subclasses implement these --------------------------------------------------------

    def _build(self) -> QWidget:
        raise NotImplementedError

    def focus_widget(self) -> QWidget:
        """The input that takes focus when the field is chosen (label buddy, issue summary)."""
        raise NotImplementedError

    def _show(self, value: object) -> None:
        raise NotImplementedError

    def value(self) -> object:
        raise NotImplementedError

    def _accessible_target(self) -> QWidget:
        """What carries the field's name and error state for assistive technology."""
        return self.focus_widget()

    def set_context(self, values: Mapping[str, object]) -> None:
        """Answers elsewhere in the form changed (only fields with `filter_by` care)."""

    def is_typing(self) -> bool:
        """True while the user is typing in this field (a typed input with the focus)."""
        return self.TYPED and self.focus_widget().hasFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Watches the typed input (and a completer's popup) for the moments the user is done.
        kind = event.type()
        if kind == QEvent.Type.FocusOut and watched is self.focus_widget():
            assert isinstance(event, QFocusEvent)
            if event.reason() not in _STAYING_REASONS:
                self.committed.emit()
        elif kind == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in _TAB_KEYS:
                self.leaving.emit()
            elif (
                event.key() in _RETURN_KEYS
                and watched is self.focus_widget()  # in a popup, Return picks (see CodeWidget)
                and isinstance(watched, QLineEdit)
            ):
                self.committed.emit()
        return False

    # Shared behaviour --------------------------------------------------------------------

    def set_value(self, value: object) -> None:
        """Show a stored value; does not emit `changed` (the value is not an edit)."""
        self._loading = True
        try:
            self._show(value)
        finally:
            self._loading = False
        self._refresh_note()

    def _edited(self, *_args: object) -> None:
        if self._loading:
            return
        self._refresh_note()
        self.changed.emit()

    def _refresh_note(self) -> None:
        note = self._derived_note()
        if note != self._note.text():
            self._note.setText(note)
            self._note.setVisible(bool(note))

    def _derived_note(self) -> str:
        return ""

    def issues(self) -> list[Issue]:
        return list(self._issues)

    def set_issues(self, issues: Sequence[Issue], lang: str | None = None) -> None:
        """Show these issues under the field and mark the input invalid for screen readers."""
        lang = lang or self.lang
        if list(issues) == self._issues and lang == self._issues_lang:
            return  # runs for every field on every keystroke: touch Qt only on a change
        self._issues = list(issues)
        self._issues_lang = lang
        messages = [_issue_line(issue, lang) for issue in issues]
        has_error = any(issue.is_error for issue in issues)
        self._issue_label.setText("\n".join(messages))
        self._issue_label.setVisible(bool(messages))
        self._issue_label.setProperty("severity", "error" if has_error else "warning")
        target = self._accessible_target()
        state = "error" if has_error else ("warning" if issues else "")
        # Compared in Python: QObject.property() of an unset property returns a None whose
        # reference PySide 6.12 miscounts (it crashes the interpreter after enough calls).
        if self._issue_state != state:
            self._issue_state = state
            target.setProperty("issue", state)
            for widget in (target, self._issue_label):
                widget.style().unpolish(widget)
                widget.style().polish(widget)
        help_text = self.field.help_text(lang)
        target.setAccessibleDescription(" ".join([*messages, help_text]).strip())


def _issue_line(issue: Issue, lang: str) -> str:
    message = issue.message(lang)
    return message if issue.is_error else f"{text('warning', lang)}: {message}"


# Text ---------------------------------------------------------------------------------


class _TypedTextWidget(FieldWidget):
    """A typed answer in one text input, `self.edit` (made by `_build`): a stored value is
    shown as its text, the answer is the stripped text or None when blank. Subclasses that
    parse the text override `value()`."""

    TYPED = True
    edit: QLineEdit | QPlainTextEdit

    def focus_widget(self) -> QWidget:
        return self.edit

    def _show(self, value: object) -> None:
        # Stored text bypasses any validator on purpose: an odd stored value is shown, not lost.
        self._set_text("" if value is None else str(value))

    def value(self) -> object:
        return self._text().strip() or None

    # For a QLineEdit; NoteWidget's QPlainTextEdit has its own pair.
    def _set_text(self, text_: str) -> None:
        self.edit.setText(text_)

    def _text(self) -> str:
        return self.edit.text()


class TextWidget(_TypedTextWidget):
    def _build(self) -> QWidget:
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(self.field.placeholder_text(self.lang))
        if self.field.max_length:
            # Longer text is allowed in and reported, so a paste is never silently cut.
            self.edit.setMaxLength(max(self.field.max_length * 4, 1000))
        self.edit.textChanged.connect(self._edited)
        return self.edit


class NoteWidget(_TypedTextWidget):
    def _build(self) -> QWidget:
        self.edit = QPlainTextEdit()
        self.edit.setPlaceholderText(self.field.placeholder_text(self.lang))
        self.edit.setTabChangesFocus(True)  # Tab moves on through the form, as in every field
        self.edit.setFixedHeight(self.edit.fontMetrics().lineSpacing() * 4 + 12)
        self.edit.textChanged.connect(self._edited)
        return self.edit

    def _set_text(self, text_: str) -> None:
        self.edit.setPlainText(text_)

    def _text(self) -> str:
        return self.edit.toPlainText()


# Numbers ------------------------------------------------------------------------------


class _NumberValidator(QValidator):
    """Marks text Acceptable only when it parses; anything else stays Intermediate (kept, and
    reported by validation) rather than Invalid (which would swallow the keystroke)."""

    def __init__(self, parse: Callable[[str], object], parent: QWidget) -> None:
        super().__init__(parent)
        self._parse = parse

    def validate(self, text_: str, pos: int) -> tuple[QValidator.State, str, int]:
        parsed = self._parse(text_)
        if parsed is None or isinstance(parsed, str):
            return QValidator.State.Intermediate, text_, pos
        return QValidator.State.Acceptable, text_, pos


class _NumberWidget(FieldWidget):
    TYPED = True
    parse: Callable[[str], object] = staticmethod(parse_integer)

    def _build(self) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit()
        self.edit.setValidator(_NumberValidator(type(self).parse, self.edit))
        self.edit.setInputMethodHints(Qt.InputMethodHint.ImhFormattedNumbersOnly)
        self.edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.edit.setMaximumWidth(self.edit.fontMetrics().horizontalAdvance("0") * 14 + 16)
        self.edit.setPlaceholderText(self.field.placeholder_text(self.lang) or self._range_hint())
        self.edit.textChanged.connect(self._edited)
        layout.addWidget(self.edit)
        if self.field.unit:
            unit = QLabel(self.field.unit)
            unit.setObjectName("fieldUnit")
            unit.setBuddy(self.edit)
            layout.addWidget(unit)
        layout.addStretch(1)
        return row

    def _range_hint(self) -> str:
        low, high = self.field.min, self.field.max
        low_text, high_text = format_number(low, self.lang), format_number(high, self.lang)
        if low is not None and high is not None:
            return text("range", self.lang, low=low_text, high=high_text)
        if low is not None:
            return text("at_least", self.lang, low=low_text)
        if high is not None:
            return text("at_most", self.lang, high=high_text)
        return ""

    def focus_widget(self) -> QWidget:
        return self.edit

    def _show(self, value: object) -> None:
        self.edit.setText(format_number(value, self.lang))

    def value(self) -> object:
        return type(self).parse(self.edit.text())


class IntegerWidget(_NumberWidget):
    parse = staticmethod(parse_integer)


class DecimalWidget(_NumberWidget):
    parse = staticmethod(parse_decimal)


# Dates --------------------------------------------------------------------------------

_NORWEGIAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def parse_date_text(raw: str) -> str | None:
    """ "YYYY-MM-DD" as typed; "DD.MM.YYYY" (the Norwegian habit) turned into ISO; else raw."""
    stripped = raw.strip()
    if not stripped:
        return None
    match = _NORWEGIAN_DATE.fullmatch(stripped)
    if match:
        day, month, year = (int(part) for part in match.groups())
        try:
            return datetime.date(year, month, day).isoformat()
        except ValueError:
            return stripped
    return stripped


class DateWidget(_TypedTextWidget):
    """A line edit, never a bare QDateEdit: an unanswered date must stay empty. Alt+Down (as
    in a QDateEdit) or the button beside it opens a calendar."""

    def _build(self) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(
            self.field.placeholder_text(self.lang) or text("date_placeholder", self.lang)
        )
        self.edit.setMaximumWidth(self.edit.fontMetrics().horizontalAdvance("0000-00-00") + 40)
        self.edit.textChanged.connect(self._edited)
        self.edit.editingFinished.connect(self._normalize)
        layout.addWidget(self.edit)
        self.calendar_button = QToolButton()
        self.calendar_button.setText(text("calendar_button", self.lang))
        self.calendar_button.setToolTip(text("calendar", self.lang))
        self.calendar_button.setAccessibleName(text("calendar", self.lang))
        self.calendar_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        # Not a Tab stop: Tab goes from field to field; Alt+Down in the edit opens it.
        self.calendar_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.calendar_button.setStyleSheet("QToolButton::menu-indicator { image: none; }")
        menu = QMenu(self.calendar_button)
        self.calendar = QCalendarWidget()
        self.calendar.setGridVisible(True)
        self.calendar.clicked.connect(self._picked)
        self.calendar.activated.connect(self._picked)
        action = QWidgetAction(menu)
        action.setDefaultWidget(self.calendar)
        menu.addAction(action)
        menu.aboutToShow.connect(self._prepare_calendar)
        self.calendar_button.setMenu(menu)
        layout.addWidget(self.calendar_button)
        layout.addStretch(1)
        return row

    def show_calendar(self) -> None:
        # popup(), not the button's showMenu(): that one blocks in a nested event loop.
        button = self.calendar_button
        button.menu().popup(button.mapToGlobal(QPoint(0, button.height())))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down and event.modifiers() & Qt.KeyboardModifier.AltModifier:
            self.show_calendar()
        else:
            super().keyPressEvent(event)

    def _prepare_calendar(self) -> None:
        if self.field.not_in_future:
            self.calendar.setMaximumDate(QDate.currentDate())
        current = QDate.fromString(str(self.value() or ""), Qt.DateFormat.ISODate)
        self.calendar.setSelectedDate(current if current.isValid() else QDate.currentDate())
        self.calendar.setFocus(Qt.FocusReason.PopupFocusReason)  # arrows and Return pick a day

    def _picked(self, day: QDate) -> None:
        self.edit.setText(day.toString(Qt.DateFormat.ISODate))
        self.calendar_button.menu().hide()
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.committed.emit()  # a picked day is a finished answer

    def _normalize(self) -> None:
        parsed = self.value()
        if isinstance(parsed, str) and parsed != self.edit.text():
            self.edit.setText(parsed)

    def value(self) -> object:
        return parse_date_text(self.edit.text())


# Choices ------------------------------------------------------------------------------


class _ChoiceFrame(QFrame):
    """A frame so an invalid choice group can get a visible border like a line edit."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("choiceFrame")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)


class YesNoUnknownWidget(FieldWidget):
    """Three radio buttons (1 / 0 / 99) and a button that clears the answer."""

    def _build(self) -> QWidget:
        self._foreign: object = None  # a stored answer that is not one of the codes
        self.frame = _ChoiceFrame()
        layout = QHBoxLayout(self.frame)
        layout.setContentsMargins(2, 0, 2, 0)
        self.group = QButtonGroup(self.frame)
        self.buttons: dict[str, QRadioButton] = {}
        for code, label in self.field.choices(self.lang):
            button = QRadioButton(label)
            button.setProperty("code", code)
            self.group.addButton(button)
            self.buttons[code] = button
            layout.addWidget(button)
        self.group.buttonToggled.connect(self._toggled)
        self.clear_button = QToolButton()
        self.clear_button.setText(text("clear", self.lang))
        self.clear_button.setToolTip(
            text("clear_tip", self.lang, label=self.field.label_text(self.lang))
        )
        self.clear_button.setAutoRaise(True)
        # Not a Tab stop (the group is one stop); Delete on a chosen button clears it.
        self.clear_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.clear_button.clicked.connect(self.clear)
        layout.addWidget(self.clear_button)
        layout.addStretch(1)
        self._update_clear()
        return self.frame

    def focus_widget(self) -> QWidget:
        checked = self.group.checkedButton()
        return checked or next(iter(self.buttons.values()))

    def _accessible_target(self) -> QWidget:
        return self.frame

    def _toggled(self, button: QAbstractButton, checked: bool) -> None:
        if checked:
            self._foreign = None
            self._update_clear()
            self._edited()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # The radio buttons pass on keys they do not use, so this sees Delete on any of them.
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.clear()
        else:
            super().keyPressEvent(event)

    def _update_clear(self) -> None:
        self.clear_button.setEnabled(
            self.group.checkedButton() is not None or self._foreign is not None
        )

    def clear(self) -> None:
        had_answer = self.value() is not None
        self._uncheck_all()
        self._foreign = None
        self._update_clear()
        if had_answer:
            self._edited()

    def _uncheck_all(self) -> None:
        # An exclusive group never lets its last checked button go; lift that for a moment.
        self.group.setExclusive(False)
        for button in self.buttons.values():
            button.setChecked(False)
        self.group.setExclusive(True)

    def _show(self, value: object) -> None:
        self._uncheck_all()
        self._foreign = None
        if isinstance(value, str) and value in self.buttons:
            self.buttons[value].setChecked(True)
        elif is_answered(value):
            self._foreign = value
        self._update_clear()

    def _derived_note(self) -> str:
        if self._foreign is None:
            return ""
        return text("not_an_option", self.lang, value=self._foreign)

    def value(self) -> object:
        checked = self.group.checkedButton()
        return checked.property("code") if checked else self._foreign


class _NoWheelComboBox(QComboBox):
    """Scrolling the form over a combo box must scroll the form, not change the answer."""

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class SingleChoiceWidget(FieldWidget):
    """A combo box whose first item is empty (= unanswered)."""

    def _build(self) -> QWidget:
        self.combo = _NoWheelComboBox()
        self.combo.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.setMinimumContentsLength(12)
        self.combo.currentIndexChanged.connect(self._edited)
        self._fill(None, self.field.choices(self.lang))
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addStretch(1)
        return row

    def focus_widget(self) -> QWidget:
        return self.combo

    def _fill(self, current: object, choices: Iterable[tuple[str, str]]) -> None:
        with QSignalBlocker(self.combo):
            self.combo.clear()
            self.combo.addItem(text("choose", self.lang), None)
            for code, label in choices:
                self.combo.addItem(label, code)
            self._select(current)

    def _select(self, value: object) -> None:
        if not is_answered(value):
            self.combo.setCurrentIndex(0)
            return
        index = self.combo.findData(value)
        if index < 0:  # keep an answer that is no longer offered, so validation can name it
            self.combo.addItem(str(value), value)
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(index)

    def set_context(self, values: Mapping[str, object]) -> None:
        if self.field.filter_by is None:
            return
        choices = self.field.choices(self.lang, values)
        offered = [self.combo.itemData(i) for i in range(1, self.combo.count())]
        if offered != [code for code, _ in choices]:
            self._fill(self.value(), choices)

    def _show(self, value: object) -> None:
        self._select(value)

    def value(self) -> object:
        return self.combo.currentData()


class MultipleChoiceWidget(FieldWidget):
    """One checkbox per option; the value lists the chosen codes in option order."""

    def _build(self) -> QWidget:
        self._foreign: list[object] = []
        self.frame = _ChoiceFrame()
        layout = QVBoxLayout(self.frame)
        layout.setContentsMargins(2, 0, 2, 0)
        layout.setSpacing(2)
        self.boxes: dict[str, QCheckBox] = {}
        for code, label in self.field.choices(self.lang):
            box = QCheckBox(label)
            box.toggled.connect(self._edited)
            self.boxes[code] = box
            layout.addWidget(box)
        return self.frame

    def focus_widget(self) -> QWidget:
        return next(iter(self.boxes.values()))

    def _accessible_target(self) -> QWidget:
        return self.frame

    def _show(self, value: object) -> None:
        chosen = value if isinstance(value, list) else ([] if value is None else [value])
        for code, box in self.boxes.items():
            box.setChecked(code in chosen)
        self._foreign = [code for code in chosen if code not in self.boxes]

    def _derived_note(self) -> str:
        if not self._foreign:
            return ""
        return text("not_an_option", self.lang, value=", ".join(map(str, self._foreign)))

    def value(self) -> object:
        chosen: list[object] = [code for code, box in self.boxes.items() if box.isChecked()]
        chosen += self._foreign
        return chosen or None


class _CodeCompleter(QCompleter):
    """Offers "code – label" entries but puts only the code into the line edit, both while
    the user browses the list (highlighted) and on a pick (activated)."""

    def pathFromIndex(self, index: QModelIndex) -> str:
        return str(index.data() or "").split(CODE_SEPARATOR, 1)[0]


class CodeWidget(_TypedTextWidget):
    """A line edit with a completer over "code – label": "C50" and "lobular" both find
    entries; the stored value is the code alone."""

    def _build(self) -> QWidget:
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(
            self.field.placeholder_text(self.lang) or text("code_placeholder", self.lang)
        )
        self.edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._model = QStringListModel(self)
        self.completer = _CodeCompleter(self._model, self.edit)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer.setMaxVisibleItems(12)
        self.edit.setCompleter(self.completer)
        self.completer.activated.connect(self._completed)
        # Tab in the open list reaches the popup, not the edit.
        self.completer.popup().installEventFilter(self)
        self.edit.textChanged.connect(self._edited)
        self._offered: tuple[tuple[str, str], ...] = ()
        self._set_entries(self.field.choices(self.lang))
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        # For those who would rather browse than search: the whole list.
        self.list_button = QToolButton()
        self.list_button.setArrowType(Qt.ArrowType.DownArrow)
        self.list_button.setToolTip(text("show_all_codes", self.lang))
        self.list_button.setAccessibleName(text("show_all_codes", self.lang))
        self.list_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Alt+Down in the edit does it
        self.list_button.clicked.connect(self.show_all_entries)
        layout.addWidget(self.list_button)
        return row

    def show_all_entries(self) -> None:
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.completer.setCompletionPrefix("")
        self.completer.complete()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down and event.modifiers() & Qt.KeyboardModifier.AltModifier:
            self.show_all_entries()
        else:
            super().keyPressEvent(event)

    def _set_entries(self, choices: Iterable[tuple[str, str]]) -> None:
        self._offered = tuple(choices)
        self._model.setStringList(
            [f"{code}{CODE_SEPARATOR}{label}" for code, label in self._offered]
        )
        self._by_upper = {code.upper(): code for code, _ in self._offered}

    def _completed(self, code: str) -> None:
        # The line edit sets the same text after this slot (it connects on focus-in); setting
        # it here first means the answer is in place when the pick is committed.
        self.edit.setText(code)
        self.committed.emit()

    def set_context(self, values: Mapping[str, object]) -> None:
        if self.field.filter_by is not None:
            choices = tuple(self.field.choices(self.lang, values))
            if choices != self._offered:
                self._set_entries(choices)

    def value(self) -> object:
        typed = self.edit.text().strip()
        if not typed:
            return None
        code = typed.split(CODE_SEPARATOR, 1)[0].strip()
        # "c50.4" is plainly C50.4; anything unknown goes to validation as typed.
        known = self._by_upper.get(code.upper())
        if known is None and self.field.entry(code.upper()) is not None:
            known = code.upper()
        return known or code

    def _derived_note(self) -> str:
        value = self.value()
        if not isinstance(value, str):
            return ""
        return self.field.choice_label(value, self.lang) or ""


# Identity numbers ---------------------------------------------------------------------


class _DigitsValidator(QValidator):
    """Digits only, at most 11; spaces and hyphens in a pasted "151086 95088" are dropped."""

    def validate(self, text_: str, pos: int) -> tuple[QValidator.State, str, int]:
        before_cursor = text_[:pos]
        digits = "".join(ch for ch in text_ if ch not in " -.\u00a0")
        if (digits and not (digits.isascii() and digits.isdigit())) or len(digits) > 11:
            return QValidator.State.Invalid, text_, pos
        new_pos = len([ch for ch in before_cursor if ch not in " -.\u00a0"])
        state = QValidator.State.Acceptable if len(digits) == 11 else QValidator.State.Intermediate
        return state, digits, new_pos


class IdentityNumberWidget(_TypedTextWidget):
    def _build(self) -> QWidget:
        self.edit = QLineEdit()
        self.edit.setValidator(_DigitsValidator(self.edit))
        self.edit.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
        self.edit.setPlaceholderText(
            self.field.placeholder_text(self.lang) or text("identity_placeholder", self.lang)
        )
        self.edit.setMaximumWidth(self.edit.fontMetrics().horizontalAdvance("0") * 16 + 16)
        self.edit.textChanged.connect(self._edited)
        return self.edit

    def _derived_note(self) -> str:
        """Birth date and sex from a valid number, so the reporter can check the patient."""
        number = self.value()
        if not isinstance(number, str) or not is_valid_identity_number(number):
            return ""
        parts = [
            text("born", self.lang, date=birth_date_of(number).strftime("%d.%m.%Y")),
            text(f"gender.{gender_of(number)}", self.lang),
        ]
        kind = identity_kind(number)
        if kind != "birth":
            parts.append(text(f"kind.{kind}", self.lang))
        return " · ".join(parts)


# Registry (the types a repeat-group row may hold; see widget_types.py for all) ----------

SIMPLE_WIDGET_TYPES: dict[str, type[FieldWidget]] = {
    "text": TextWidget,
    "note": NoteWidget,
    "integer": IntegerWidget,
    "decimal": DecimalWidget,
    "date": DateWidget,
    "yes_no_unknown": YesNoUnknownWidget,
    "single_choice": SingleChoiceWidget,
    "multiple_choice": MultipleChoiceWidget,
    "code": CodeWidget,
    "identity_number": IdentityNumberWidget,
}
