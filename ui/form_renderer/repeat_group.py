"""A repeat group: one framed block per row ("Line 1", "Line 2"), an Add button, Remove per row.

Row fields are the ordinary field widgets. The group's value is the list of row objects of the
contract; issues arrive by path (`group[i].field` on a row's field, `group` on the group) and the
form view tells each row which of its fields are relevant and required. Removing a row that has
answers asks first, inside the row (no modal dialog), so nothing typed goes silently.
"""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.forms import FieldDef, Issue, is_answered

from .computed_widget import ComputedWidget
from .field_widgets import SIMPLE_WIDGET_TYPES, FieldWidget
from .texts import text

_ROW_PATH = re.compile(r"^(?P<group>[^\[\].]+)\[(?P<index>\d+)\](?:\.(?P<field>[^\[\].]+))?$")

_ROW_WIDGET_TYPES: dict[str, type[FieldWidget]] = {
    **SIMPLE_WIDGET_TYPES,
    "computed": ComputedWidget,
}


def parse_row_path(path: str) -> tuple[str, int, str | None] | None:
    """("group", 0, "field") for "group[0].field", ("group", 0, None) for "group[0]", else None."""
    match = _ROW_PATH.match(path)
    if match is None:
        return None
    return match["group"], int(match["index"]), match["field"]


def row_path(group_id: str, index: int, field_id: str) -> str:
    return f"{group_id}[{index}].{field_id}"


def _sentence_case(label: str) -> str:
    """ "Line 2" -> "line 2" inside a sentence; leaves "ICD code" and one-letter words alone."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


class RowBlock(QFrame):
    """One row: its heading, its fields, Remove, and the confirmation Remove may ask for."""

    def __init__(self, group: RepeatGroupWidget, label_width: int) -> None:
        super().__init__()
        self.setObjectName("repeatRow")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._extra: dict[str, object] = {}  # stored keys the row has no field for (kept)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 8)
        outer.setSpacing(6)
        # The fields are created first so that they come before Remove in the Tab order.
        form_holder = QWidget(self)
        self.form = QFormLayout(form_holder)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.form.setVerticalSpacing(8)
        self.widgets: dict[str, FieldWidget] = {}
        self.labels: dict[str, QLabel] = {}
        for field in group.field.fields:
            widget = _ROW_WIDGET_TYPES[field.type](field, group.lang, form_holder)
            widget.setObjectName(f"field_{field.id}")
            label = QLabel(field.label_text(group.lang), form_holder)
            label.setWordWrap(True)
            label.setFixedWidth(label_width)
            label.setBuddy(widget.focus_widget())
            self.form.addRow(label, widget)
            self.widgets[field.id] = widget
            self.labels[field.id] = label

        header = QHBoxLayout()
        self.title = QLabel(self)
        self.title.setObjectName("repeatRowTitle")
        header.addWidget(self.title)
        header.addStretch(1)
        self.remove_button = QPushButton(text("group.remove", group.lang), self)
        self.remove_button.setObjectName("removeRowButton")
        self.remove_button.setAutoDefault(False)
        header.addWidget(self.remove_button)

        self.confirm_bar = QFrame(self)
        self.confirm_bar.setObjectName("removeConfirm")
        confirm = QHBoxLayout(self.confirm_bar)
        confirm.setContentsMargins(6, 4, 6, 4)
        self.confirm_label = QLabel(self.confirm_bar)
        self.confirm_label.setWordWrap(True)
        confirm.addWidget(self.confirm_label, 1)
        self.confirm_remove_button = QPushButton(
            text("group.confirm_remove", group.lang), self.confirm_bar
        )
        self.confirm_remove_button.setAutoDefault(False)
        self.keep_button = QPushButton(text("group.confirm_keep", group.lang), self.confirm_bar)
        self.keep_button.setAutoDefault(False)
        confirm.addWidget(self.confirm_remove_button)
        confirm.addWidget(self.keep_button)
        self.confirm_bar.hide()

        outer.addLayout(header)
        outer.addWidget(self.confirm_bar)
        outer.addWidget(form_holder)

    def set_number(self, n: int, field: FieldDef, lang: str) -> None:
        title = field.row_label_text(n, lang)
        self.title.setText(title)
        self.setAccessibleName(title)
        self.remove_button.setToolTip(text("group.remove_tip", lang, row=title))
        self.remove_button.setAccessibleName(text("group.remove_tip", lang, row=title))
        self.confirm_label.setText(text("group.confirm", lang, row=title))

    def set_value(self, row: object) -> None:
        values = row if isinstance(row, Mapping) else {}
        self._extra = {k: v for k, v in values.items() if k not in self.widgets}
        for field_id, widget in self.widgets.items():
            widget.set_value(None if widget.field.is_computed else values.get(field_id))

    def value(self) -> dict[str, object]:
        """The row's answers; computed fields are left to the engine (it recomputes them)."""
        row: dict[str, object] = {}
        for field_id, widget in self.widgets.items():
            if widget.field.is_computed:
                continue
            value = widget.value()
            if is_answered(value):
                row[field_id] = value
        row.update(self._extra)
        return row

    def has_answers(self) -> bool:
        return bool(self.value())

    def focusables(self) -> list[QWidget]:
        """Its Tab stops in order: the fields, then Remove and the confirmation's buttons."""
        stops = [
            w
            for widget in self.widgets.values()
            for w in [widget, *widget.findChildren(QWidget)]
            # Popups (a completer's list, a calendar menu) are windows of their own.
            if w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.window() is self.window()
        ]
        return [*stops, self.remove_button, self.confirm_remove_button, self.keep_button]

    def is_row_visible(self, field_id: str) -> bool:
        return self.form.isRowVisible(self.widgets[field_id])


class RepeatGroupWidget(FieldWidget):
    """The group's own issues (too few rows) show under it; row issues on the row fields."""

    rowRemoved = Signal(int)  # index of the removed row, before `changed`

    def _build(self) -> QWidget:
        self.rows: list[RowBlock] = []
        self.last_edited = self.field.id  # path of the last change: a row field or the group
        self._foreign: object = None  # a stored value that is not a list of rows (kept)
        self._label_width = self.fontMetrics().averageCharWidth() * 22
        self.frame = QFrame()
        self.frame.setObjectName("repeatGroup")
        layout = QVBoxLayout(self.frame)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self._rows_layout = QVBoxLayout()
        self._rows_layout.setSpacing(8)
        layout.addLayout(self._rows_layout)
        self.empty_label = QLabel(text("group.empty", self.lang))
        self.empty_label.setObjectName("fieldHelp")
        layout.addWidget(self.empty_label)
        footer = QHBoxLayout()
        self.add_button = QPushButton()
        self.add_button.setObjectName("addRowButton")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self.add_row)
        footer.addWidget(self.add_button)
        self.full_label = QLabel(text("group.full", self.lang, max_rows=self.field.max_rows))
        self.full_label.setObjectName("fieldHelp")
        self.full_label.hide()
        footer.addWidget(self.full_label)
        footer.addStretch(1)
        layout.addLayout(footer)
        self._update_buttons()
        return self.frame

    def focus_widget(self) -> QWidget:
        return self.add_button

    def _accessible_target(self) -> QWidget:
        return self.frame

    # Values ------------------------------------------------------------------------------

    def _show(self, value: object) -> None:
        for row in list(self.rows):
            self._drop(row)
        self._foreign = None
        if isinstance(value, list):
            for row_value in value:
                self._append(row_value)
        elif is_answered(value):
            self._foreign = value
        self._update_buttons()

    def value(self) -> object:
        if not self.rows:
            return self._foreign
        return [row.value() for row in self.rows]

    def _derived_note(self) -> str:
        if self._foreign is None:
            return ""
        return text("not_an_option", self.lang, value=self._foreign)

    def is_typing(self) -> bool:
        return any(w.is_typing() for row in self.rows for w in row.widgets.values())

    # Rows ------------------------------------------------------------------------------

    def add_row(self) -> None:
        if len(self.rows) >= self.field.max_rows:
            return
        row = self._append({})
        self._foreign = None
        self._update_buttons()
        self.last_edited = self.field.id
        self._edited()
        first = next((w for w in row.focusables() if w.isVisibleTo(self)), None)
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def request_remove(self, index: int) -> None:
        """Remove row `index`; one with answers asks first, in the row."""
        row = self.rows[index]
        if not row.has_answers():
            self.remove_row(index)
            return
        row.confirm_bar.show()
        row.keep_button.setFocus(Qt.FocusReason.OtherFocusReason)  # the safe default

    def remove_row(self, index: int) -> None:
        row = self.rows[index]
        had_focus = row.isAncestorOf(self.focusWidget() or self)
        self._drop(row)
        self._renumber()
        self._update_buttons()
        self.last_edited = self.field.id
        self.rowRemoved.emit(index)
        self._edited()
        if had_focus or self.focusWidget() is None:
            target = self.rows[min(index, len(self.rows) - 1)] if self.rows else None
            (target.remove_button if target else self.add_button).setFocus(
                Qt.FocusReason.OtherFocusReason
            )

    def row_count(self) -> int:
        return len(self.rows)

    def row_widget(self, index: int, field_id: str) -> FieldWidget:
        return self.rows[index].widgets[field_id]

    def is_row_field_visible(self, index: int, field_id: str) -> bool:
        return 0 <= index < len(self.rows) and self.rows[index].is_row_visible(field_id)

    def _append(self, row_value: object) -> RowBlock:
        row = RowBlock(self, self._label_width)
        row.set_number(len(self.rows) + 1, self.field, self.lang)
        row.set_value(row_value)
        self._rows_layout.addWidget(row)
        row.show()  # a layout shows a new child only later (queued); Tab and focus need it now
        self.rows.append(row)
        for field_id, widget in row.widgets.items():
            widget.changed.connect(lambda r=row, f=field_id: self._row_changed(r, f))
            widget.leaving.connect(self.leaving)
            widget.committed.connect(self.committed)
        row.remove_button.clicked.connect(lambda _=False, r=row: self._remove_clicked(r))
        row.confirm_remove_button.clicked.connect(
            lambda _=False, r=row: self.remove_row(self.rows.index(r))
        )
        row.keep_button.clicked.connect(lambda _=False, r=row: self._keep(r))
        self._chain_tab_order(row)
        return row

    def _chain_tab_order(self, row: RowBlock) -> None:
        # New widgets join the end of the window's focus chain; put the row's stops just
        # before Add, so Tab runs row by row and then reaches Add.
        # setTabOrder() ignores a first widget that takes no focus (a label): start from
        # the last real Tab stop before Add.
        previous = self.add_button.previousInFocusChain()
        while previous is not None and not previous.focusPolicy() & Qt.FocusPolicy.TabFocus:
            if previous is self.add_button:
                return  # nothing before the group takes the focus: creation order stands
            previous = previous.previousInFocusChain()
        if previous is None or previous.window() is not self.add_button.window():
            return
        for stop in row.focusables():
            QWidget.setTabOrder(previous, stop)
            previous = stop

    def _drop(self, row: RowBlock) -> None:
        self.rows.remove(row)
        self._rows_layout.removeWidget(row)
        row.hide()
        row.setParent(None)
        row.deleteLater()

    def _renumber(self) -> None:
        for n, row in enumerate(self.rows, start=1):
            row.set_number(n, self.field, self.lang)

    def _update_buttons(self) -> None:
        count = len(self.rows)
        full = count >= self.field.max_rows
        self.add_button.setText(
            text(
                "group.add",
                self.lang,
                row=_sentence_case(self.field.row_label_text(count + 1, self.lang)),
            )
        )
        self.add_button.setEnabled(not full)
        self.full_label.setVisible(full)
        self.empty_label.setVisible(count == 0)

    def _remove_clicked(self, row: RowBlock) -> None:
        self.request_remove(self.rows.index(row))

    def _keep(self, row: RowBlock) -> None:
        row.confirm_bar.hide()
        row.remove_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _row_changed(self, row: RowBlock, field_id: str) -> None:
        row.confirm_bar.hide()  # the row changed under the question: ask again if need be
        self.last_edited = row_path(self.field.id, self.rows.index(row), field_id)
        self._edited()

    # State from the form view ----------------------------------------------------------

    def set_row_relevance(self, relevance: Sequence[Mapping[str, bool]]) -> None:
        for row, relevant in zip(self.rows, relevance, strict=False):
            for field_id, widget in row.widgets.items():
                visible = relevant.get(field_id, True)
                if row.form.isRowVisible(widget) != visible:
                    row.form.setRowVisible(widget, visible)

    def set_row_marks(
        self,
        required: Sequence[Mapping[str, bool]],
        computed: Sequence[Mapping[str, tuple[object, Sequence[str]]]],
    ) -> None:
        """Asterisks on required row fields; computed row fields' values (and what they lack)."""
        for row, needed, results in zip(self.rows, required, computed, strict=False):
            for field_id, label in row.labels.items():
                is_required = needed.get(field_id, False)
                wanted = row.widgets[field_id].field.label_text(self.lang) + (
                    " *" if is_required else ""
                )
                if label.text() != wanted:
                    label.setText(wanted)
                    label.setAccessibleDescription(
                        text("required_mark", self.lang) if is_required else ""
                    )
            for field_id, (value, missing) in results.items():
                widget = row.widgets[field_id]
                if isinstance(widget, ComputedWidget):
                    widget.set_computed(value, missing)

    def set_context(self, values: Mapping[str, object]) -> None:
        for row in self.rows:
            scope = ChainMap(row.value(), dict(values))
            for widget in row.widgets.values():
                if widget.field.filter_by is not None:
                    widget.set_context(scope)

    def set_issues(self, issues: Sequence[Issue], lang: str | None = None) -> None:
        """Row issues go to their row's field; the group's own (and any a row field cannot
        hold, e.g. a malformed row) show under the group."""
        own: list[Issue] = []
        per_widget: dict[tuple[int, str], list[Issue]] = {}
        for issue in issues:
            parsed = parse_row_path(issue.path)
            if parsed is not None and parsed[0] == self.field.id:
                _, index, field_id = parsed
                if (
                    field_id is not None
                    and index < len(self.rows)
                    and field_id in self.rows[index].widgets
                ):
                    per_widget.setdefault((index, field_id), []).append(issue)
                    continue
            own.append(issue)
        for index, row in enumerate(self.rows):
            for field_id, widget in row.widgets.items():
                widget.set_issues(per_widget.get((index, field_id), []), lang)
        super().set_issues(own, lang)
