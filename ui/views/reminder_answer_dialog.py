"""The small dialog for answering a reminder "not ours" or "patient moved": a reason is
required (OK stays disabled until one is typed). OK stores the answer in the local cache on a
background thread and closes only when it is stored; if storing fails the dialog stays open
with everything typed, and says why. The sync sends the stored answer to the registry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.reminder_answers import MAX_REASON
from ui.views.common import hint
from ui.workers import run_on_cache


class ReminderAnswerDialog(QDialog):
    answered = Signal(str, str)  # reminder id, answer: stored locally

    def __init__(
        self,
        reminder: dict,
        answer: str,
        describe: str,
        store: Callable[[str], Any],
        parent: QWidget | None = None,
    ) -> None:
        """`describe`: the reminder in words (form, patient); `store(reason)` records the
        answer (runs off the GUI thread, raises with `.message` when it cannot)."""
        super().__init__(parent)
        self.setObjectName("reminderAnswerDialog")
        self.reminder = reminder
        self.answer = answer
        self._store = store
        if answer == "patient_moved":
            self.setWindowTitle(self.tr("Patient moved"))
            question = self.tr(
                "Tell the registry that this patient has moved to another hospital, so the "
                "report is not expected from your unit."
            )
            placeholder = self.tr("For example: referred to Haukeland for treatment in March.")
        else:
            self.setWindowTitle(self.tr("Not ours"))
            question = self.tr(
                "Tell the registry that this report is not your unit's to send (for example, "
                "the patient was never treated here)."
            )
            placeholder = self.tr("For example: only the biopsy was taken here.")
        self.summary = QLabel(describe)
        self.summary.setWordWrap(True)
        self.summary.setObjectName("reminderAnswerSummary")
        self.question = hint(question)
        self.reason_label = QLabel(self.tr("&Reason (required):"))
        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setObjectName("reminderAnswerReason")
        self.reason_edit.setPlaceholderText(placeholder)
        self.reason_edit.setTabChangesFocus(True)
        self.reason_label.setBuddy(self.reason_edit)
        self.count_label = hint()
        self.error_label = QLabel()
        self.error_label.setObjectName("reminderAnswerError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Save answer"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.reason_edit.textChanged.connect(self._update_state)

        layout = QVBoxLayout(self)
        for widget in (
            self.summary,
            self.question,
            self.reason_label,
            self.reason_edit,
            self.count_label,
            self.error_label,
            self.buttons,
        ):
            layout.addWidget(widget)
        self.resize(460, 300)
        self._saving = False
        self._update_state()

    def reason(self) -> str:
        return self.reason_edit.toPlainText().strip()

    def _update_state(self) -> None:
        length = len(self.reason())
        too_long = length > MAX_REASON
        self.ok_button.setEnabled(0 < length <= MAX_REASON and not self._saving)
        self.count_label.setText(
            self.tr("{0} of {1} characters").format(length, MAX_REASON) if length else ""
        )
        self.count_label.setStyleSheet("color: #b00020;" if too_long else "color: #505050;")

    def submit(self) -> None:
        """Store the answer on the cache worker; close when it is stored."""
        reason = self.reason()
        if not reason or len(reason) > MAX_REASON or self._saving:
            return
        self._saving = True
        self.reason_edit.setReadOnly(True)
        self.error_label.hide()
        self._update_state()
        run_on_cache(lambda: self._store(reason), self._stored, self._failed, parent=self)

    def _stored(self, _result: object) -> None:
        self._saving = False
        self.answered.emit(str(self.reminder.get("id") or ""), self.answer)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._saving = False
        self.reason_edit.setReadOnly(False)
        message = getattr(error, "message", None) or self.tr(
            "The answer could not be saved on this computer ({0}). Try again."
        ).format(type(error).__name__)
        self.error_label.setText(message)
        self.error_label.show()
        self._update_state()
