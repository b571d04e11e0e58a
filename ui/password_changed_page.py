"""The sign-in dialog's second page: the server took the password, but this computer's keys are
sealed under an earlier one (desktop_app.sign_in.PasswordChanged).

The clinician either gives the earlier password (nothing is lost) or, after a clear warning,
continues without the drafts on this computer (the submitted reports are still sent when the
registry's escrow copy of their key is there). The page only asks; the dialog does the work.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class PasswordChangedPage(QWidget):
    previousPasswordGiven = Signal(str)
    startOverConfirmed = Signal()
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("passwordChangedPage")
        self.can_recover_outbox = True
        self._busy = False
        self.start_over_box: QMessageBox | None = None

        title = QLabel(
            self.tr("Your password has changed since you last signed in on this computer.")
        )
        title.setObjectName("passwordChangedTitle")
        title.setWordWrap(True)
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        explain = QLabel(
            self.tr(
                "Your drafts on this computer are locked with your previous password. Enter "
                "it once to keep them; from then on your new password opens them."
            )
        )
        explain.setWordWrap(True)
        self.previous_edit = QLineEdit()
        self.previous_edit.setObjectName("previousPassword")
        self.previous_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.previous_edit.textChanged.connect(self._update_state)
        self.previous_edit.returnPressed.connect(self._give_previous)
        form = QFormLayout()
        form.addRow(self.tr("P&revious password:"), self.previous_edit)

        self.error_label = QLabel()
        self.error_label.setObjectName("passwordChangedError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.hide()

        self.keep_button = QPushButton(self.tr("&Keep my drafts"))
        self.keep_button.setObjectName("keepDraftsButton")
        self.keep_button.setDefault(True)
        self.keep_button.clicked.connect(self._give_previous)
        self.start_over_button = QPushButton(self.tr("Continue &without the drafts…"))
        self.start_over_button.setObjectName("startOverButton")
        self.start_over_button.setAutoDefault(False)
        self.start_over_button.clicked.connect(self.ask_start_over)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.cancelled)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_over_button)
        buttons.addStretch()
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.keep_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addStretch()
        layout.addLayout(buttons)
        self._update_state()

    def reset(self, can_recover_outbox: bool) -> None:
        self.can_recover_outbox = can_recover_outbox
        self.previous_edit.clear()
        self.error_label.hide()
        self.set_busy(False)
        self.previous_edit.setFocus()

    def set_busy(self, busy: bool) -> None:
        for widget in (self.previous_edit, self.start_over_button, self.cancel_button):
            widget.setEnabled(not busy)
        self._busy = busy
        self._update_state()

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()
        self.previous_edit.selectAll()
        self.previous_edit.setFocus()

    def _update_state(self, *_args: object) -> None:
        self.keep_button.setEnabled(bool(self.previous_edit.text()) and not self._busy)

    def _give_previous(self) -> None:
        if self.previous_edit.text() and not self._busy:
            self.previousPasswordGiven.emit(self.previous_edit.text())

    def ask_start_over(self) -> QMessageBox:
        """The warning before anything is deleted (window-modal, no nested event loop)."""
        if self.can_recover_outbox:
            text = self.tr(
                "The drafts on this computer cannot be opened without your previous password "
                "and are deleted for good. Reports you have already submitted are not lost: "
                "they are still sent to the registry."
            )
        else:
            text = self.tr(
                "Nothing of yours on this computer can be opened without your previous "
                "password: your drafts AND the submitted reports not yet sent are deleted for "
                "good. Reports the registry has already received are not affected."
            )
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            self.tr("Continue without the drafts?"),
            text,
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.setObjectName("startOverBox")
        box.setInformativeText(
            self.tr("If you may still remember your previous password, cancel and enter it.")
        )
        delete = box.addButton(
            self.tr("Delete them and continue"), QMessageBox.ButtonRole.DestructiveRole
        )
        delete.setObjectName("confirmStartOver")
        keep = box.addButton(self.tr("Cancel"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.buttonClicked.connect(
            lambda button: self.startOverConfirmed.emit() if button is delete else None
        )
        box.finished.connect(box.deleteLater)
        self.start_over_box = box
        box.open()
        return box
