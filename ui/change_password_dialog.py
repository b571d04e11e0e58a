"""Change password: the registry server changes it (the clinician's other sign-ins end), then
this computer's keys are sealed under the new one (desktop_app.user_session.change_password:
nothing re-encrypted, drafts kept). Needs the server; the network call runs off the GUI thread
and the key work on the cache's worker."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.sync.api_client import ApiClient, ApiError, NetworkError, ServerError
from desktop_app.user_session import UserSession
from ui.workers import run_in_background, run_on_cache

log = logging.getLogger(__name__)


class ChangePasswordDialog(QDialog):
    def __init__(self, user: UserSession, api: ApiClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("changePasswordDialog")
        self.setWindowTitle(self.tr("Change password"))
        self._user = user
        self._api = api
        self._busy = False

        self.current_edit = self._password("currentPassword")
        self.new_edit = self._password("newPassword")
        self.repeat_edit = self._password("repeatPassword")
        form = QFormLayout()
        form.addRow(self.tr("&Current password:"), self.current_edit)
        form.addRow(self.tr("&New password:"), self.new_edit)
        form.addRow(self.tr("&Repeat the new password:"), self.repeat_edit)

        intro = QLabel(
            self.tr(
                "The registry changes your password, and you are signed out on other "
                "computers. Your drafts on this computer stay, under the new password."
            )
        )
        intro.setWordWrap(True)
        self.message_label = QLabel()
        self.message_label.setObjectName("changePasswordMessage")
        self.message_label.setStyleSheet("color: #b00020;")  # only problems are said here
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._change)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        # Never smaller than its contents: a long refusal must push the dialog taller, not
        # squash the password fields.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        intro.setMinimumWidth(440)  # the layout sets the dialog's minimum from its contents
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message_label)
        layout.addWidget(self.buttons)

    def _password(self, name: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        return edit

    def _say(self, text: str) -> None:
        self.message_label.setText(text)
        self.adjustSize()

    def _change(self) -> None:
        if self._busy:
            return
        current, new = self.current_edit.text(), self.new_edit.text()
        if not current or not new:
            self._say(self.tr("Enter your current password and the new one."))
            return
        if new != self.repeat_edit.text():
            self._say(self.tr("The new password and its repetition differ. Type them again."))
            self.repeat_edit.clear()
            self.repeat_edit.setFocus()
            return
        if new == current:
            self._say(self.tr("The new password must differ from the current one."))
            return
        self._set_busy(True)
        self._say("")
        session = self._user.session

        def on_server() -> None:
            token = session.token()
            if token is None:
                raise NetworkError("not signed in")
            self._api.change_password(token, current, new)

        run_in_background(on_server, lambda _r: self._seal(new), self._server_failed, parent=self)

    def _seal(self, new: str) -> None:
        run_on_cache(
            lambda: self._user.change_password(new),
            lambda _r: self._done(),
            self._seal_failed,
            parent=self,
        )

    def _done(self) -> None:
        log.info("Password changed")
        self._set_busy(False)
        box = QMessageBox(
            QMessageBox.Icon.Information,
            self.tr("Password changed"),
            self.tr(
                "Your password is changed. Use the new one from now on, also on this "
                "computer without a connection."
            ),
            QMessageBox.StandardButton.Ok,
            self.parentWidget(),
        )
        box.setObjectName("passwordChanged")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.accept()

    def _server_failed(self, error: BaseException) -> None:
        self._set_busy(False)
        if isinstance(error, (NetworkError, ServerError)):
            self._say(
                self.tr(
                    "The registry server cannot be reached, and only it can change your "
                    "password. Try again when the connection is back."
                )
            )
        elif isinstance(error, ApiError):
            self._say(error.message)  # the server's sentence: wrong current, too short, ...
        else:
            log.error("Password change failed: %s", type(error).__name__)
            self._say(self.tr("The password could not be changed. Try again."))

    def _seal_failed(self, error: BaseException) -> None:
        # The server has the new password; this computer's keys still open with the old one,
        # and the next sign-in asks for it once (desktop_app.sign_in.PasswordChanged).
        log.error("Sealing the keys under the new password failed: %s", type(error).__name__)
        self._set_busy(False)
        self._say(
            self.tr(
                "Your password was changed, but this computer could not store it for your "
                "drafts. At your next sign-in you will be asked for your previous password "
                "once; nothing is lost."
            )
        )

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for edit in (self.current_edit, self.new_edit, self.repeat_edit):
            edit.setEnabled(not busy)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not busy)
