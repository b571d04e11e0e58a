"""The lock page shown in place of the main window's pages: who is signed in, a password
field, and a way for another clinician to sign in. It shows nothing of any patient."""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

ERROR_STYLE = "color: #b00020;"


class LockPage(QWidget):
    unlockRequested = Signal(str)  # the password typed
    switchUserRequested = Signal()

    def __init__(self, display_name: str, unit: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockPage")
        self._remaining: Callable[[], float] | None = None
        self._busy = False

        self.heading = QLabel(self.tr("This session is locked"))
        font = QFont(self.heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.heading.setFont(font)
        self.reason_label = QLabel()
        self.reason_label.setObjectName("lockReason")
        self.reason_label.setWordWrap(True)
        self.hint_label = QLabel(
            self.tr(
                "Patient data is hidden until you enter your password. Nothing you typed is "
                "lost. Reports in the outbox are still sent while the session is locked."
            )
        )
        self.hint_label.setWordWrap(True)

        self.user_label = QLabel(f"{display_name} – {unit}" if unit else display_name)
        self.user_label.setObjectName("lockUser")
        self.user_label.setWordWrap(True)
        self.password_edit = QLineEdit()
        self.password_edit.setObjectName("lockPassword")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.returnPressed.connect(self._submit)
        self.password_edit.textChanged.connect(self._update_buttons)
        self.unlock_button = QPushButton(self.tr("&Unlock"))
        self.unlock_button.setObjectName("unlockButton")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self._submit)
        self.message_label = QLabel()
        self.message_label.setObjectName("lockMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet(ERROR_STYLE)
        # Room for two lines kept always: the box does not jump as messages come and go.
        self.message_label.setMinimumHeight(2 * self.message_label.fontMetrics().lineSpacing())

        form = QFormLayout()
        form.addRow(self.tr("Signed in:"), self.user_label)
        password_row = QHBoxLayout()
        password_row.addWidget(self.password_edit, 1)
        password_row.addWidget(self.unlock_button)
        form.addRow(self.tr("&Password:"), password_row)
        label = form.labelForField(password_row)
        if isinstance(label, QLabel):
            label.setBuddy(self.password_edit)

        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        self.switch_label = QLabel(
            self.tr(
                "Someone else at this computer? Signing in ends this session. The reports "
                "already submitted stay in the outbox and are sent when {0} signs in again; "
                "the drafts stay here for {0}."
            ).format(display_name)
        )
        self.switch_label.setWordWrap(True)
        self.switch_button = QPushButton(self.tr("Sign in as &someone else"))
        self.switch_button.setObjectName("switchUserButton")
        self.switch_button.clicked.connect(self.switchUserRequested)

        card = QFrame()
        card.setObjectName("lockCard")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        card.setFixedWidth(520)  # wrapped labels would otherwise squeeze it narrow
        box = QVBoxLayout(card)
        box.setContentsMargins(24, 20, 24, 20)
        box.setSpacing(10)
        box.addWidget(self.heading)
        box.addWidget(self.reason_label)
        box.addWidget(self.hint_label)
        box.addSpacing(6)
        box.addLayout(form)
        box.addWidget(self.message_label)
        box.addSpacing(6)
        box.addWidget(line)
        box.addWidget(self.switch_label)
        box.addWidget(self.switch_button, 0, Qt.AlignmentFlag.AlignLeft)

        outer = QGridLayout(self)
        outer.addWidget(card, 1, 1)
        outer.setRowStretch(0, 1)
        outer.setRowStretch(2, 2)
        outer.setColumnStretch(0, 1)
        outer.setColumnStretch(2, 1)

        # Counts down a wait after wrong passwords (GuessThrottle) and frees the button.
        self._countdown = QTimer(self)
        self._countdown.setInterval(250)
        self._countdown.timeout.connect(self._tick)
        self._update_buttons()

    # -- what the locker tells the page ---------------------------------------------------

    def reset(self, reason: str) -> None:
        """Shown anew: the reason, an empty password field with the focus."""
        self.reason_label.setText(reason)
        self.password_edit.clear()
        self.show_message("")
        self.set_busy(False)
        self.password_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def set_busy(self, busy: bool) -> None:
        """While the password is being checked (off the GUI thread)."""
        self._busy = busy
        if busy:
            self.message_label.setStyleSheet("")
            self.message_label.setText(self.tr("Checking the password…"))
        self._update_buttons()

    def show_message(self, text: str) -> None:
        self.message_label.setStyleSheet(ERROR_STYLE)
        self.message_label.setText(text)

    def refuse(self, remaining: Callable[[], float]) -> None:
        """A wrong password: say so; with a wait, count it down before the next try."""
        self.set_busy(False)
        self.password_edit.clear()
        self._remaining = remaining
        self._tick()
        if self._remaining is not None:
            self._countdown.start()
        self.password_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    @property
    def waiting(self) -> bool:
        return self._remaining is not None

    # -- internals ------------------------------------------------------------------------

    @Slot()
    def _tick(self) -> None:
        remaining = self._remaining() if self._remaining is not None else 0.0
        if remaining <= 0:
            self._remaining = None
            self._countdown.stop()
            self.show_message(self.tr("Wrong password. The session stays locked."))
        else:
            self.show_message(
                self.tr(
                    "Wrong password. The session stays locked. After several wrong "
                    "passwords you must wait: try again in {0} s."
                ).format(math.ceil(remaining))
            )
        self._update_buttons()

    @Slot()
    def _submit(self) -> None:
        if not self.unlock_button.isEnabled():
            return
        self.unlockRequested.emit(self.password_edit.text())

    @Slot()
    def _update_buttons(self, *_args: object) -> None:
        free = not self._busy and self._remaining is None
        # Nothing typed during a wait or a check: it would be lost or glued to the next try.
        self.password_edit.setReadOnly(not free)
        self.unlock_button.setEnabled(free and bool(self.password_edit.text()))
        self.switch_button.setEnabled(not self._busy)
