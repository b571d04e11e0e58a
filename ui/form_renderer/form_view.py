"""A whole form: one group box per section, live relevance and live validation.

Validation is `desktop_app.forms.validate`, the same engine the server runs; it is pure Python
and fast enough to run on every change, and `issues()`, `has_errors()` and `error_count()`
always count everything. What is *shown* is gentler ("reward early, punish late"):

* a "required" problem shows only once the user has edited that field or asked to submit
  (`show_all_issues()`), so a new form is not a wall of red;
* while the user types in a field, no new problem appears anywhere and no row appears or
  disappears: a problem that the typing fixes goes at once, the rest waits until the user
  leaves the field (focus out, Tab, Return, a pick from a list) or submits;
* the problem list sits below the scrolled form, not in it, and any change of layout keeps the
  input that has the focus where it was on screen.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import ChainMap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QEvent, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QFrame,
    QGroupBox,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop_app.forms import (
    FieldDef,
    FormDefinition,
    Issue,
    evaluate_condition,
    expression_fields,
    is_answered,
    validate,
)

from .computed_widget import ComputedWidget
from .field_widgets import FieldWidget
from .issue_summary import IssueSummary
from .repeat_group import RepeatGroupWidget, parse_row_path
from .texts import text
from .widget_types import create_field_widget

log = logging.getLogger(__name__)

# Problems that only mean "not answered yet": not shown before the user gets to the field.
_UNANSWERED_KEYS = frozenset({"required", "repeat.min_rows"})

STYLE_SHEET = """
QLabel#fieldIssue[severity="error"] { color: #b00020; font-weight: bold; }
QLabel#fieldIssue[severity="warning"] { color: #8a4b00; }
QLabel#fieldHelp, QLabel#fieldNote { color: #555555; }
QLineEdit[issue="error"], QPlainTextEdit[issue="error"], QComboBox[issue="error"],
QFrame#choiceFrame[issue="error"] { border: 2px solid #b00020; border-radius: 3px; }
QLineEdit[issue="warning"], QComboBox[issue="warning"],
QFrame#choiceFrame[issue="warning"] { border: 2px solid #c77700; border-radius: 3px; }
QFrame#repeatGroup[issue="error"] { border-left: 3px solid #b00020; padding-left: 4px; }
QFrame#repeatGroup[issue="warning"] { border-left: 3px solid #c77700; padding-left: 4px; }
QFrame#repeatRow { border: 1px solid #b8c2cc; border-radius: 4px; background: #f7f9fb; }
QLabel#repeatRowTitle { font-weight: bold; }
QFrame#removeConfirm { border: 1px solid #c77700; border-radius: 3px; background: #fff6e5; }
QLineEdit#computedValue { background: #eef1f4; }
QFrame#issueSummary { border: 2px solid #b00020; border-radius: 4px; background: #fdf3f4; }
QLabel#issueSummaryTitle { color: #b00020; font-weight: bold; }
QGroupBox { font-weight: bold; }
QGroupBox QLabel, QGroupBox QCheckBox, QGroupBox QRadioButton { font-weight: normal; }
"""


@dataclass
class _Row:
    section: QGroupBox
    layout: QFormLayout
    label: QLabel
    widget: FieldWidget


class FormView(QWidget):
    """The scrolled form with its problem list below it (`summary`)."""

    valuesChanged = Signal(dict)
    issuesChanged = Signal(list)  # every issue, after each validation

    def __init__(
        self,
        definition: FormDefinition,
        values: Mapping[str, object],
        lang: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.definition = definition
        self.lang = lang
        unknown = [key for key in values if not definition.has_field(key)]
        if unknown:
            # Never log the values themselves: they identify a patient.
            log.warning("Ignoring %d value(s) with no field in %s", len(unknown), definition.key)
        # Computed answers are left out: the engine recomputes them from the others.
        self._values: dict[str, object] = {
            key: value
            for key, value in values.items()
            if definition.is_top_level(key) and not definition.field(key).is_computed
        }
        self._touched: set[str] = set()
        self._show_all = False
        # The field the user is typing in: until they leave it, new problems and relevance
        # changes wait (see the module docstring).
        self._typing: str | None = None
        self._shown: set[tuple[str, str]] = set()  # (path, key) of the problems on screen
        self._local_issues: list[Issue] = []
        self._server_issues: list[Issue] = []
        self._order = {f.id: index for index, f in enumerate(definition.fields())}
        self._groups: dict[str, RepeatGroupWidget] = {}
        self._rows: dict[str, _Row] = {}

        self.setStyleSheet(STYLE_SHEET)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setObjectName("formScrollArea")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        # Not a Tab stop of its own: Tab goes from field to field, and a field that gets the
        # focus is scrolled into view.
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.content = QWidget()
        self.content.setObjectName("formContent")
        layout = QVBoxLayout(self.content)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(12)
        self._sections: list[QGroupBox] = []
        label_width = self.content.fontMetrics().averageCharWidth() * 28
        for section in definition.sections:
            box = QGroupBox(section.title_text(lang), self.content)
            box.setObjectName(f"section_{section.id}")
            form = QFormLayout(box)
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
            form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            form.setVerticalSpacing(10)
            if section.help_text(lang):
                section_help = QLabel(section.help_text(lang), box)
                section_help.setObjectName("fieldHelp")
                section_help.setWordWrap(True)
                form.addRow(section_help)
            for field in section.fields:
                widget = create_field_widget(field, lang, box)
                widget.setObjectName(f"field_{field.id}")
                label = QLabel(field.label_text(lang), box)
                label.setWordWrap(True)
                label.setBuddy(widget.focus_widget())
                # One label width in every section, so the inputs line up down the page.
                label.setFixedWidth(label_width)
                form.addRow(label, widget)
                widget.set_value(self._values.get(field.id))
                widget.changed.connect(lambda fid=field.id: self._field_changed(fid))
                if isinstance(widget, RepeatGroupWidget):
                    self._groups[field.id] = widget
                    widget.rowRemoved.connect(lambda i, gid=field.id: self._row_removed(gid, i))
                widget.leaving.connect(self._leaving)
                widget.committed.connect(self._commit)
                self._rows[field.id] = _Row(box, form, label, widget)
            layout.addWidget(box)
            self._sections.append(box)
        layout.addStretch(1)
        self.scroll_area.setWidget(self.content)
        outer.addWidget(self.scroll_area, 1)
        # Below the scrolled form, so the list growing or going never moves the form.
        self.summary = IssueSummary(lang, self)
        self.summary.fieldChosen.connect(self.focus_field)
        outer.addWidget(self.summary)
        self._refresh()

    # Public API ------------------------------------------------------------------------

    def values(self) -> dict[str, object]:
        """The answers as the contract's JSON values; unanswered fields are left out."""
        return dict(self._values)

    def issues(self) -> list[Issue]:
        """Every current issue: live validation plus server issues not yet edited away."""
        return self._local_issues + self._server_issues

    def has_errors(self) -> bool:
        return self.error_count() > 0

    def error_count(self) -> int:
        """Errors that block submission. A server issue that names no field of this form
        cannot be edited away, so it is shown but does not block (the server re-checks)."""
        on_fields = [issue for issue in self._server_issues if self._has_path(issue.path)]
        return sum(issue.is_error for issue in self._local_issues + on_fields)

    def field_widget(self, path: str) -> FieldWidget:
        """A top-level field's widget, or a row field's by its path `group[i].field`."""
        parsed = parse_row_path(path)
        if parsed is not None and parsed[0] in self._groups and parsed[2] is not None:
            return self._groups[parsed[0]].row_widget(parsed[1], parsed[2])
        return self._rows[path].widget

    def is_field_visible(self, path: str) -> bool:
        parsed = parse_row_path(path)
        if parsed is not None and parsed[0] in self._groups:
            group_id, index, field_id = parsed
            group = self._groups[group_id]
            if not self.is_field_visible(group_id) or index >= group.row_count():
                return False
            return field_id is None or group.is_row_field_visible(index, field_id)
        row = self._rows[path]
        return row.layout.isRowVisible(row.widget) and row.section.isVisibleTo(self.content)

    def set_server_issues(self, issues: Sequence[Issue]) -> None:
        """Issues from a rejected submission; each stays until its field is edited."""
        self._server_issues = list(issues)
        self._typing = None
        self._refresh()

    def show_all_issues(self) -> None:
        """Show every problem, "required" on fields the user has not reached too (on a
        refused submit); a half-typed answer is judged now as well."""
        self._show_all = True
        self._typing = None
        self._refresh()

    def set_read_only(self, read_only: bool) -> None:
        """Fields disabled (a submitted report); the problem list stays usable."""
        self.content.setEnabled(not read_only)

    def is_read_only(self) -> bool:
        return not self.content.isEnabled()

    def focus_summary(self) -> None:
        self.summary.focus_list()

    def focus_field(self, path: str) -> bool:
        """Scroll to the field and give it focus; False if it is not in the form or hidden."""
        if not self._has_path(path) or not self.is_field_visible(path):
            return False
        parsed = parse_row_path(path)
        _settle_layout()
        if parsed is None:
            row = self._rows[path]
            self.scroll_area.ensureWidgetVisible(row.label, 0, 0)
            self.scroll_area.ensureWidgetVisible(row.widget, 50, 50)
            row.widget.focus_widget().setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        group_id, index, field_id = parsed
        block = self._groups[group_id].rows[index]
        target = block.widgets[field_id] if field_id is not None else None
        self.scroll_area.ensureWidgetVisible(block.title, 0, 0)
        if target is None:
            block.remove_button.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        self.scroll_area.ensureWidgetVisible(target, 50, 50)
        target.focus_widget().setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    # Internals -------------------------------------------------------------------------

    def _has_path(self, path: str) -> bool:
        """Whether the path names a field (or row) the form shows."""
        parsed = parse_row_path(path)
        if parsed is None:
            return path in self._rows
        group_id, index, field_id = parsed
        group = self._groups.get(group_id)
        return (
            group is not None
            and index < group.row_count()
            and (field_id is None or field_id in group.rows[index].widgets)
        )

    def _field_changed(self, field_id: str) -> None:
        widget = self._rows[field_id].widget
        value = widget.value()
        if is_answered(value):
            self._values[field_id] = value
        else:
            self._values.pop(field_id, None)
        # In a group: the row field edited, or the group itself (a row added or removed).
        path = widget.last_edited if isinstance(widget, RepeatGroupWidget) else field_id
        self._touched.add(path)
        self._server_issues = [i for i in self._server_issues if i.path not in (path, field_id)]
        # A change without the focus (a pick, a combo box, a radio button) is a finished
        # answer; keystrokes in a focused input are not, until the user leaves it.
        self._typing = field_id if widget.is_typing() else None
        self._refresh()
        self.valuesChanged.emit(self.values())

    def _row_removed(self, group_id: str, index: int) -> None:
        """Row paths after the removed row move up one; the removed row's are gone."""

        def moved(path: str) -> str | None:
            parsed = parse_row_path(path)
            if parsed is None or parsed[0] != group_id or parsed[1] < index:
                return path
            if parsed[1] == index:
                return None
            rest = f".{parsed[2]}" if parsed[2] is not None else ""
            return f"{group_id}[{parsed[1] - 1}]{rest}"

        self._touched = {p for p in map(moved, self._touched) if p is not None}
        self._shown = {(p, key) for path, key in self._shown if (p := moved(path)) is not None}
        self._server_issues = [
            dataclasses.replace(issue, path=p)
            for issue in self._server_issues
            if (p := moved(issue.path)) is not None
        ]
        self._typing = None

    def _leaving(self) -> None:
        """Tab pressed in the typed field: settle which rows are shown before Qt picks the
        next field, so Tab never lands on a row that is about to go (or skips a new one)."""
        if self._typing is not None:
            with self._focus_kept_in_place():
                self._apply_relevance()

    def _commit(self) -> None:
        """The user has left (or confirmed) the field: show what was held back."""
        if self._typing is not None:
            self._typing = None
            with self._focus_kept_in_place():
                self._apply_relevance()
                self._show_issues()

    def _refresh(self) -> None:
        values = self._values
        relevance, counted = self.definition.resolve(values)
        for row in self._rows.values():
            field = row.widget.field
            required = relevance[field.id] and (
                field.required
                or (field.is_group and field.min_rows > 0)
                or (
                    field.required_if is not None and evaluate_condition(field.required_if, counted)
                )
            )
            if field.is_computed:
                required = False
            label = field.label_text(self.lang) + (" *" if required else "")
            if row.label.text() != label:
                row.label.setText(label)
                row.label.setAccessibleDescription(
                    text("required_mark", self.lang) if required else ""
                )
            if field.filter_by is not None or field.is_group:
                row.widget.set_context(values)
            if isinstance(row.widget, ComputedWidget):
                missing = self._missing(field, counted) if relevance[field.id] else []
                row.widget.set_computed(counted.get(field.id), missing)
            elif isinstance(row.widget, RepeatGroupWidget):
                self._mark_rows(row.widget, counted)
        self._local_issues = validate(self.definition, values)
        with self._focus_kept_in_place():
            if self._typing is None:
                self._apply_relevance()
            self._show_issues()

    def _missing(self, field: FieldDef, scope: Mapping[str, object]) -> list[str]:
        """Labels of the answers a computed field still needs."""
        return [
            self.definition.field(name).label_text(self.lang)
            for name in expression_fields(field.compute or {})
            if not is_answered(scope.get(name))
        ]

    def _row_values(self, group_id: str) -> list[Mapping[str, object]]:
        rows = self._values.get(group_id)
        if not isinstance(rows, list):
            return []
        return [row if isinstance(row, Mapping) else {} for row in rows]

    def _mark_rows(self, widget: RepeatGroupWidget, counted: Mapping[str, object]) -> None:
        group = widget.field
        required: list[dict[str, bool]] = []
        computed: list[dict[str, tuple[object, list[str]]]] = []
        for row in self._row_values(group.id):
            relevant, own = self.definition.resolve_row(group, row, counted)
            scope = ChainMap(own, dict(counted))
            required.append(
                {
                    f.id: relevant[f.id]
                    and not f.is_computed
                    and (
                        f.required
                        or (f.required_if is not None and evaluate_condition(f.required_if, scope))
                    )
                    for f in group.fields
                }
            )
            computed.append(
                {
                    f.id: (own.get(f.id), self._missing(f, scope))
                    for f in group.fields
                    if f.is_computed
                }
            )
        widget.set_row_marks(required, computed)

    def _apply_relevance(self) -> None:
        relevance, counted = self.definition.resolve(self._values)
        for group_id, widget in self._groups.items():
            group = widget.field
            widget.set_row_relevance(
                [
                    self.definition.resolve_row(group, row, counted)[0]
                    for row in self._row_values(group_id)
                ]
            )
        changed = [
            (row, relevance[field_id])
            for field_id, row in self._rows.items()
            if row.layout.isRowVisible(row.widget) != relevance[field_id]
        ]
        # Rows that come first, rows that go after: when the focused input's row goes, Qt
        # moves the focus on to the next input, which must already be there.
        changed.sort(key=lambda change: not change[1])
        for row, visible in changed:
            row.layout.setRowVisible(row.widget, visible)
        for box, section in zip(self._sections, self.definition.sections, strict=True):
            shown = any(relevance[f.id] for f in section.fields)
            if box.isVisibleTo(self.content) != shown:
                box.setVisible(shown)

    def _is_shown(self, issue: Issue) -> bool:
        return issue.key not in _UNANSWERED_KEYS or self._show_all or issue.path in self._touched

    def _show_issues(self) -> None:
        shown: list[Issue] = []
        seen: set[tuple[str, str]] = set()
        for issue in self._local_issues + self._server_issues:
            where = (issue.path, issue.key)
            if where in seen or not self._is_shown(issue):
                continue
            # While the user types, only what is already on screen (and still true) stays.
            if self._typing is not None and where not in self._shown:
                continue
            seen.add(where)
            shown.append(issue)
        self._shown = seen
        shown.sort(key=lambda issue: self._path_order(issue.path))
        by_field: dict[str, list[Issue]] = {}
        for issue in shown:
            parsed = parse_row_path(issue.path)
            owner = parsed[0] if parsed is not None and parsed[0] in self._groups else issue.path
            by_field.setdefault(owner, []).append(issue)
        for field_id, row in self._rows.items():
            row.widget.set_issues(by_field.get(field_id, []), self.lang)
        self.summary.set_issues([(issue, self._path_label(issue.path)) for issue in shown])
        self.issuesChanged.emit(self.issues())

    def _path_order(self, path: str) -> tuple[int, int, int]:
        parsed = parse_row_path(path)
        if parsed is None or parsed[0] not in self._groups:
            return (self._order.get(path, -1), -1, -1)
        group_id, index, field_id = parsed
        row_ids = [f.id for f in self._groups[group_id].field.fields]
        return (
            self._order[group_id],
            index,
            row_ids.index(field_id) if field_id in row_ids else -1,
        )

    def _path_label(self, path: str) -> str:
        """ "Line 2 › Regimen" for a row field; "" when the path names no field here."""
        parsed = parse_row_path(path)
        if parsed is None:
            row = self._rows.get(path)
            return row.widget.field.label_text(self.lang) if row is not None else ""
        group_id, index, field_id = parsed
        widget = self._groups.get(group_id)
        if widget is None:
            return ""
        row_label = widget.field.row_label_text(index + 1, self.lang)
        if field_id is None or field_id not in {f.id for f in widget.field.fields}:
            return row_label
        field_label = widget.field.row_field(field_id).label_text(self.lang)
        return text("group.where", self.lang, row=row_label, field=field_label)

    @contextmanager
    def _focus_kept_in_place(self) -> Iterator[None]:
        """Keep the input with the focus where it is on screen while the layout changes (a
        problem line coming or going above it, the problem list below the form), by
        scrolling the form by as much as the change moved it. Near the end of the form the
        content is held at its height meanwhile, so a shorter form does not pull it down."""
        anchor = QApplication.focusWidget()
        bar = self.scroll_area.verticalScrollBar()
        if anchor is None or not anchor.isVisible() or not self.content.isAncestorOf(anchor):
            yield
            self.content.setMinimumHeight(0)
            return
        before = anchor.mapTo(self.content, QPoint(0, 0)).y()
        scrolled = bar.value()
        yield
        self.content.setMinimumHeight(0)
        _settle_layout()
        if not anchor.isVisible():  # its row went; Qt has moved the focus on
            return
        target = scrolled + anchor.mapTo(self.content, QPoint(0, 0)).y() - before
        needed = target + self.scroll_area.viewport().height()
        if self.content.height() < needed:
            self.content.setMinimumHeight(needed)
            _settle_layout()
        bar.setValue(target)
        # If the problem list now covers it, bring it back into view (as little as needed).
        self.scroll_area.ensureWidgetVisible(anchor, 0, 0)


def _settle_layout() -> None:
    """Apply pending layout changes now (nested layouts need a round each), so geometry read
    right after a change (a problem line shown, a row hidden) is current."""
    for _ in range(4):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
