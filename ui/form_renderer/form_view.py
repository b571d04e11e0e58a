"""A whole form: one group box per section, live relevance and live validation.

Validation is `desktop_app.forms.validate`, the same engine the server runs; it is pure Python
and fast enough to run on every change. A "required" problem is shown only once the user has
edited that field or asked to submit (`show_all_issues()`), so a new form is not a wall of red;
`issues()` and `has_errors()` always count everything.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGroupBox,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop_app.forms import FormDefinition, Issue, evaluate_condition, is_answered, validate

from .field_widgets import FieldWidget, create_field_widget
from .issue_summary import IssueSummary
from .texts import text

log = logging.getLogger(__name__)

# Problems that only mean "not answered yet": not shown before the user gets to the field.
_UNANSWERED_KEYS = frozenset({"required"})

STYLE_SHEET = """
QLabel#fieldIssue[severity="error"] { color: #b00020; font-weight: bold; }
QLabel#fieldIssue[severity="warning"] { color: #8a4b00; }
QLabel#fieldHelp, QLabel#fieldNote { color: #555555; }
QLineEdit[issue="error"], QPlainTextEdit[issue="error"], QComboBox[issue="error"],
QFrame#choiceFrame[issue="error"] { border: 2px solid #b00020; border-radius: 3px; }
QLineEdit[issue="warning"], QComboBox[issue="warning"],
QFrame#choiceFrame[issue="warning"] { border: 2px solid #c77700; border-radius: 3px; }
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


class FormView(QScrollArea):
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
        self._values: dict[str, object] = {
            key: value for key, value in values.items() if definition.has_field(key)
        }
        self._touched: set[str] = set()
        self._show_all = False
        self._local_issues: list[Issue] = []
        self._server_issues: list[Issue] = []
        self._order = {f.id: index for index, f in enumerate(definition.fields())}
        self._rows: dict[str, _Row] = {}

        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        content = QWidget()
        content.setObjectName("formContent")
        content.setStyleSheet(STYLE_SHEET)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(12)
        self.summary = IssueSummary(lang, content)
        self.summary.fieldChosen.connect(self.focus_field)
        layout.addWidget(self.summary)
        self._sections: list[QGroupBox] = []
        label_width = content.fontMetrics().averageCharWidth() * 26
        for section in definition.sections:
            box = QGroupBox(section.title_text(lang), content)
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
                self._rows[field.id] = _Row(box, form, label, widget)
            layout.addWidget(box)
            self._sections.append(box)
        layout.addStretch(1)
        self.setWidget(content)
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
        on_fields = [issue for issue in self._server_issues if issue.path in self._rows]
        return sum(issue.is_error for issue in self._local_issues + on_fields)

    def field_widget(self, field_id: str) -> FieldWidget:
        return self._rows[field_id].widget

    def is_field_visible(self, field_id: str) -> bool:
        row = self._rows[field_id]
        return row.layout.isRowVisible(row.widget)

    def set_server_issues(self, issues: Sequence[Issue]) -> None:
        """Issues from a rejected submission; each stays until its field is edited."""
        self._server_issues = list(issues)
        self._show_issues()

    def show_all_issues(self) -> None:
        """Also show "required" on fields the user has not reached (on a refused submit)."""
        self._show_all = True
        self._show_issues()

    def focus_summary(self) -> None:
        _settle_layout()
        self.ensureVisible(0, 0)
        self.summary.focus_list()

    def focus_field(self, path: str) -> bool:
        """Scroll to the field and give it focus; False if it is not in the form or hidden."""
        row = self._rows.get(path)
        if row is None or not self.is_field_visible(path):
            return False
        _settle_layout()
        self.ensureWidgetVisible(row.label, 0, 0)
        self.ensureWidgetVisible(row.widget, 50, 50)
        row.widget.focus_widget().setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    # Internals -------------------------------------------------------------------------

    def _field_changed(self, field_id: str) -> None:
        value = self._rows[field_id].widget.value()
        if is_answered(value):
            self._values[field_id] = value
        else:
            self._values.pop(field_id, None)
        self._touched.add(field_id)
        self._server_issues = [i for i in self._server_issues if i.path != field_id]
        self._refresh()
        self.valuesChanged.emit(self.values())

    def _refresh(self) -> None:
        values = self._values
        relevance = self.definition.relevance(values)
        counted = self.definition.submitted_values(values)
        for field_id, row in self._rows.items():
            field = row.widget.field
            visible = relevance[field_id]
            if row.layout.isRowVisible(row.widget) != visible:
                row.layout.setRowVisible(row.widget, visible)
            required = visible and (
                field.required
                or (
                    field.required_if is not None and evaluate_condition(field.required_if, counted)
                )
            )
            label = field.label_text(self.lang) + (" *" if required else "")
            if row.label.text() != label:
                row.label.setText(label)
                row.label.setAccessibleDescription(
                    text("required_mark", self.lang) if required else ""
                )
            if field.filter_by is not None:
                row.widget.set_context(values)
        for box, section in zip(self._sections, self.definition.sections, strict=True):
            shown = any(relevance[f.id] for f in section.fields)
            if box.isVisibleTo(self.widget()) != shown:
                box.setVisible(shown)
        self._local_issues = validate(self.definition, values)
        self._show_issues()

    def _is_shown(self, issue: Issue) -> bool:
        return issue.key not in _UNANSWERED_KEYS or self._show_all or issue.path in self._touched

    def _show_issues(self) -> None:
        shown: list[Issue] = []
        seen: set[tuple[str, str]] = set()
        for issue in self._local_issues + self._server_issues:
            if (issue.path, issue.key) in seen or not self._is_shown(issue):
                continue
            seen.add((issue.path, issue.key))
            shown.append(issue)
        shown.sort(key=lambda issue: self._order.get(issue.path, -1))
        by_field: dict[str, list[Issue]] = {}
        for issue in shown:
            by_field.setdefault(issue.path, []).append(issue)
        for field_id, row in self._rows.items():
            row.widget.set_issues(by_field.get(field_id, []), self.lang)
        self.summary.set_issues(
            [
                (
                    issue,
                    self._rows[issue.path].widget.field.label_text(self.lang)
                    if issue.path in self._rows
                    else "",
                )
                for issue in shown
            ]
        )
        self.issuesChanged.emit(self.issues())


def _settle_layout() -> None:
    """Apply pending layout changes now (nested layouts need a round each), so scrolling
    right after a change (show_all_issues() growing the summary) uses current geometry."""
    for _ in range(4):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
