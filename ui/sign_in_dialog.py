"""Sign-in dialog: username and password; emits the clinician's UserSession.

The sign-in (the server or the offline check, then Argon2id to open this computer's keys) runs
on the cache worker: it reads and writes the cache, and queued behind the previous clinician's
end it never overlaps it. When the password has changed since the last sign-in here, the
dialog's second page (ui.password_changed_page) asks for the previous one or, after a warning,
continues without the drafts and says how many were lost.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.app import Services
from desktop_app.auth import SignInError
from desktop_app.sign_in import PasswordChanged, sign_in
from desktop_app.sync.api_client import ApiError
from desktop_app.user_session import UserSession
from ui.password_changed_page import PasswordChangedPage
from ui.workers import run_in_background, run_on_cache

log = logging.getLogger(__name__)


class SignInDialog(QDialog):
    """Accepted with ``user`` set once the sign-in succeeded (online or offline)."""

    signedIn = Signal(object)  # desktop_app.user_session.UserSession

    def __init__(
        self,
        services: Services,
        username: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Sign in – Cancer Registry Reporting"))
        self.setObjectName("signInDialog")
        self._services = services
        server_url = services.settings.server_url
        self.user: UserSession | None = None
        self.drafts_lost: int | None = None  # set when the user started over
        self.lost_box: QMessageBox | None = None
        self._changed: PasswordChanged | None = None
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

        sign_in_page = QWidget()
        page_layout = QVBoxLayout(sign_in_page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.addWidget(intro)
        page_layout.addLayout(form)
        page_layout.addWidget(self.error_label)
        page_layout.addStretch()
        page_layout.addWidget(self.buttons)
        self.changed_page = PasswordChangedPage()
        self.changed_page.previousPasswordGiven.connect(self._use_previous_password)
        self.changed_page.startOverConfirmed.connect(self._start_over)
        self.changed_page.cancelled.connect(self._back_to_sign_in)
        self.pages = QStackedWidget()
        self.pages.addWidget(sign_in_page)
        self.pages.addWidget(self.changed_page)

        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        layout.addWidget(self.busy)
        self.setMinimumWidth(460)

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
        services = self._services

        def work() -> tuple[UserSession | PasswordChanged, bool]:
            result = sign_in(services, username, password)
            # Read here, not on the GUI thread: it looks in the cache.
            recoverable = isinstance(result, PasswordChanged) and result.can_recover_outbox
            return result, recoverable

        run_on_cache(work, self._answered, self._failed, parent=self)

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def _answered(self, answer: tuple[UserSession | PasswordChanged, bool]) -> None:
        result, recoverable = answer
        self._set_busy(False)
        self.password_edit.clear()
        if isinstance(result, PasswordChanged):
            log.info("Signed in, but this computer's keys are sealed under an earlier password")
            self._changed = result
            self.changed_page.reset(recoverable)
            self.pages.setCurrentWidget(self.changed_page)
            return
        self._signed_in(result)

    def _signed_in(self, user: UserSession) -> None:
        self.user = user
        log.info("Signed in (%s)", "offline" if user.session.offline else "online")
        self.signedIn.emit(user)
        self.accept()

    # -- the password changed since the last sign-in here ---------------------------------

    def _use_previous_password(self, previous: str) -> None:
        changed = self._changed
        if changed is None or self.is_busy:
            return
        self._set_busy(True)
        run_on_cache(
            lambda: changed.with_previous_password(previous),
            self._previous_checked,
            self._changed_failed,
            parent=self,
        )

    def _previous_checked(self, user: UserSession | None) -> None:
        self._set_busy(False)
        if user is None:
            self.changed_page.show_error(
                self.tr(
                    "That is not the previous password either. Try again, or continue without "
                    "the drafts."
                )
            )
            return
        self._changed = None
        self._signed_in(user)

    def _start_over(self) -> None:
        changed = self._changed
        if changed is None or self.is_busy:
            return
        self._set_busy(True)
        run_on_cache(changed.start_over, self._started_over, self._changed_failed, parent=self)

    def _started_over(self, result: tuple[UserSession, int]) -> None:
        user, lost = result
        self._set_busy(False)
        self._changed = None
        self.drafts_lost = lost
        self.user = user
        text = (
            self.tr("%n draft(s) on this computer could not be opened and were deleted.", "", lost)
            if lost
            else self.tr("There were no drafts on this computer to lose.")
        )
        box = QMessageBox(
            QMessageBox.Icon.Information,
            self.tr("Signed in without the drafts"),
            text,
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setObjectName("draftsLostBox")
        box.finished.connect(lambda _result: self._signed_in(user))
        box.finished.connect(box.deleteLater)
        self.lost_box = box
        box.open()

    def _changed_failed(self, error: BaseException) -> None:
        self._set_busy(False)
        log.error("Opening the keys after a password change failed: %s", type(error).__name__)
        self.changed_page.show_error(
            self.tr(
                "That did not work ({0}). Try again; if it keeps happening, tell your IT "
                "department."
            ).format(getattr(error, "message", None) or type(error).__name__)
        )

    def _back_to_sign_in(self) -> None:
        """Cancelled on the second page: the server's tokens are forgotten again."""
        changed, self._changed = self._changed, None
        if changed is not None:
            sessions, session = self._services.sessions, changed.session
            run_in_background(lambda: sessions.sign_out(session))
        self.pages.setCurrentIndex(0)
        self.password_edit.setFocus()

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
        self.changed_page.set_busy(busy)
        self.username_edit.setEnabled(not busy)
        self.password_edit.setEnabled(not busy)
        self.sign_in_button.setEnabled(not busy)
        self.sign_in_button.setText(self.tr("Signing in…") if busy else self.tr("Sign in"))

    def reject(self) -> None:
        # Closing during a sign-in would leave a session nobody uses; wait for the answer.
        if self.is_busy:
            return
        if self._changed is not None:
            self._back_to_sign_in()
        super().reject()
