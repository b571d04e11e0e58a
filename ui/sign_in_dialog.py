"""Sign-in dialog: username and password; the sign-in itself runs off the GUI thread."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from desktop_app.auth import Session, SessionService, SignInError
from desktop_app.sync.api_client import ApiError
from ui.workers import run_in_background

log = logging.getLogger(__name__)


class SignInDialog(QDialog):
    """Accepted with ``session`` set once the sign-in succeeded (online or offline)."""

    signedIn = Signal(object)  # Session

    def __init__(
        self,
        sessions: SessionService,
        server_url: str,
        username: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Sign in – Cancer Registry Reporting"))
        self.setObjectName("signInDialog")
        self._sessions = sessions
        self.session: Session | None = None
        self._busy = False

        intro = QLabel(self.tr("Sign in with your personal account."))
        self.username_edit = QLineEdit(username or "")
        self.username_edit.setObjectName("username")
        self.password_edit = QLineEdit()
        self.password_edit.setObjectName("password")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.server_label = QLabel(server_url)
        self.server_label.setObjectName("serverUrl")
        self.server_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.addRow(self.tr("&Username:"), self.username_edit)
        form.addRow(self.tr("&Password:"), self.password_edit)
        form.addRow(self.tr("Server:"), self.server_label)

        self.error_label = QLabel()
        self.error_label.setObjectName("signInError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()

        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # indeterminate
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(8)
        self.busy.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.sign_in_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.sign_in_button.setText(self.tr("Sign in"))
        self.buttons.accepted.connect(self.start_sign_in)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)

        (self.password_edit if username else self.username_edit).setFocus()

    @property
    def is_busy(self) -> bool:
        return self._busy

    def start_sign_in(self) -> None:
        if self.is_busy:
            return
        username = self.username_edit.text().strip()
        password = self.password_edit.text()
        if not username or not password:
            self.show_error(self.tr("Enter your username and password."))
            return
        self._set_busy(True)
        self.error_label.hide()
        run_in_background(
            lambda: self._sessions.sign_in(username, password),
            self._signed_in,
            self._failed,
            parent=self,
        )

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def _signed_in(self, session: Session) -> None:
        self._set_busy(False)
        self.password_edit.clear()
        self.session = session
        log.info("Signed in (%s)", "offline" if session.offline else "online")
        self.signedIn.emit(session)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._set_busy(False)
        self.password_edit.selectAll()
        self.password_edit.setFocus()
        if isinstance(error, SignInError | ApiError):
            self.show_error(error.message)
            return
        log.error("Sign-in failed unexpectedly", exc_info=(type(error), error, None))
        self.show_error(
            self.tr(
                "Sign-in failed because of an unexpected error ({0}). Try again; if it keeps "
                "happening, tell your IT department."
            ).format(type(error).__name__)
        )

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.busy.setVisible(busy)
        self.username_edit.setEnabled(not busy)
        self.password_edit.setEnabled(not busy)
        self.sign_in_button.setEnabled(not busy)
        self.sign_in_button.setText(self.tr("Signing in…") if busy else self.tr("Sign in"))

    def reject(self) -> None:
        # Closing during a sign-in would leave a session nobody uses; wait for the answer.
        if self.is_busy:
            return
        super().reject()
