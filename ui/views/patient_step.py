"""The patient step of a new report: identity number (checked as it is typed) or "no Norwegian
number", and the name. What is entered becomes the new draft's first answers."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QColor, QPalette, QRegularExpressionValidator
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from desktop_app.forms import identity_kind, identity_number_problem, message_text
from desktop_app.forms.text import fill

# The envelope's "no Norwegian identity number" box is a one-option multiple choice.
NO_NORWEGIAN_ID_ANSWER = ["1"]
IDENTITY_LENGTH = 11
_OK_COLOUR = QColor("#1b5e20")
_PROBLEM_COLOUR = QColor("#b00020")
_NEUTRAL_COLOUR = QColor("#505050")


@dataclass(frozen=True)
class PatientChoice:
    patient_id: str | None  # None: the patient has no Norwegian number
    name: str
    specification: str = ""  # what identifies a patient without a Norwegian number

    @property
    def no_norwegian_id(self) -> bool:
        return self.patient_id is None

    def first_answers(self) -> dict:
        """The envelope answers a new draft starts with (field ids of the common envelope)."""
        values: dict = {}
        if self.patient_id is None:
            values["patient_no_norwegian_id"] = list(NO_NORWEGIAN_ID_ANSWER)
            if self.specification:
                values["patient_id_specification"] = self.specification
        else:
            values["patient_id"] = self.patient_id
        if self.name:
            values["patient_name"] = self.name
        return values


class PatientStep(QWidget):
    changed = Signal()
    finished = Signal()  # Enter in the last field with a complete answer

    def __init__(self, lang: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lang = lang
        self.number_edit = QLineEdit()
        self.number_edit.setObjectName("patientIdEdit")
        self.number_edit.setPlaceholderText(self.tr("11 digits"))
        # Digits and spaces (a pasted "010190 12345" is fine); the check ignores the spaces.
        self.number_edit.setValidator(
            QRegularExpressionValidator(QRegularExpression(r"[0-9 ]{0,14}"), self.number_edit)
        )
        self.number_status = QLabel()
        self.number_status.setObjectName("patientIdStatus")
        self.number_status.setWordWrap(True)
        # Room for the longest message, so the fields below stay put while the user types.
        self.number_status.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.number_status.setMinimumHeight(3 * self.number_status.fontMetrics().lineSpacing())
        self.no_number_check = QCheckBox(self.tr("The patient has no Norwegian identity number"))
        self.no_number_check.setObjectName("noNorwegianIdCheck")
        self.specification_edit = QLineEdit()
        self.specification_edit.setObjectName("patientIdSpecificationEdit")
        self.specification_edit.setPlaceholderText(self.tr("E.g. passport or foreign id number"))
        self.specification_label = QLabel(self.tr("Specifi&cation"))
        self.specification_label.setBuddy(self.specification_edit)
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("patientNameEdit")
        self.name_edit.setMaxLength(200)

        number_label = QLabel(self.tr("&Identity number (birth, D- or H-number)"))
        number_label.setBuddy(self.number_edit)
        name_label = QLabel(self.tr("&Name"))
        name_label.setBuddy(self.name_edit)
        # Labels above the fields: the column is narrow and the status sentence wraps.
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (
            number_label,
            self.number_edit,
            self.number_status,
            self.no_number_check,
            self.specification_label,
            self.specification_edit,
        ):
            layout.addWidget(widget)
        layout.addSpacing(8)
        layout.addWidget(name_label)
        layout.addWidget(self.name_edit)
        self.setTabOrder(self.number_edit, self.no_number_check)
        self.setTabOrder(self.no_number_check, self.specification_edit)
        self.setTabOrder(self.specification_edit, self.name_edit)

        self.number_edit.textChanged.connect(self._update)
        self.no_number_check.toggled.connect(self._update)
        self.specification_edit.textChanged.connect(self._update)
        self.name_edit.textChanged.connect(self._update)
        self.number_edit.returnPressed.connect(self._number_entered)
        self.specification_edit.returnPressed.connect(self.name_edit.setFocus)
        self.name_edit.returnPressed.connect(self._name_entered)
        self._update()

    # -- reading ----------------------------------------------------------------------------

    def number(self) -> str:
        return "".join(self.number_edit.text().split())

    def problem(self) -> str | None:
        """Why the number cannot be used, in the user's language; None when it can (or when
        the patient has no Norwegian number)."""
        if self.no_number_check.isChecked():
            return None
        number = self.number()
        if not number:
            return self.tr("Enter the identity number, or tick that the patient has none.")
        found = identity_number_problem(number)
        if found is None:
            return None
        key, params = found
        return fill(message_text(key, self._lang), params)

    def is_complete(self) -> bool:
        return self.problem() is None

    def choice(self) -> PatientChoice | None:
        if not self.is_complete():
            return None
        name = " ".join(self.name_edit.text().split())
        if self.no_number_check.isChecked():
            return PatientChoice(None, name, self.specification_edit.text().strip())
        return PatientChoice(self.number(), name)

    # -- changing ---------------------------------------------------------------------------

    def focus_first(self) -> None:
        edit = self.specification_edit if self.no_number_check.isChecked() else self.number_edit
        edit.setFocus()
        edit.selectAll()

    def clear(self) -> None:
        for edit in (self.number_edit, self.specification_edit, self.name_edit):
            edit.clear()
        self.no_number_check.setChecked(False)

    def _number_entered(self) -> None:
        if self.is_complete():
            self.name_edit.setFocus()

    def _name_entered(self) -> None:
        if self.is_complete():
            self.finished.emit()
        else:
            self.focus_first()

    def _update(self, *_args: object) -> None:
        no_number = self.no_number_check.isChecked()
        self.number_edit.setEnabled(not no_number)
        self.specification_label.setVisible(no_number)
        self.specification_edit.setVisible(no_number)
        self._show_status(no_number)
        self.changed.emit()

    def _show_status(self, no_number: bool) -> None:
        number = self.number()
        if no_number:
            text = self.tr("The report is made without an identity number.")
            colour = _NEUTRAL_COLOUR
        elif len(number) < IDENTITY_LENGTH and (number.isdigit() or not number):
            # Still typing: count the digits instead of calling an unfinished number wrong.
            text = self.tr(
                "%n of 11 digits. D-numbers and H-numbers are accepted.", "", len(number)
            )
            colour = _NEUTRAL_COLOUR
        elif (problem := self.problem()) is not None:
            text, colour = problem, _PROBLEM_COLOUR
        else:
            kind = {
                "d": self.tr("D-number"),
                "h": self.tr("H-number"),
                "birth": self.tr("Birth number"),
            }[identity_kind(number)]
            text, colour = self.tr("%1: valid.").replace("%1", kind), _OK_COLOUR
        # A palette, not a style sheet: re-styling on every keystroke re-lays the label out.
        palette = self.number_status.palette()
        palette.setColor(QPalette.ColorRole.WindowText, colour)
        self.number_status.setPalette(palette)
        self.number_status.setText(text)
