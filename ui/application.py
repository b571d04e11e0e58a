"""QApplication set-up and the session loop: sign in -> main window -> (sign out -> sign in ...)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_app import __version__
from desktop_app.app import Services
from desktop_app.auth import Session
from desktop_app.config import APP_NAME
from ui.main_window import WINDOW_TITLE, MainWindow
from ui.sign_in_dialog import SignInDialog
from ui.workers import wait_for_background_work

log = logging.getLogger(__name__)


def application(argv: Sequence[str] | None = None) -> QApplication:
    """The one QApplication (created on first use)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else sys.argv[:1])
        app.setApplicationName(APP_NAME)
        app.setApplicationDisplayName(WINDOW_TITLE)
        app.setApplicationVersion(__version__)
        app.setOrganizationName(APP_NAME)
    assert isinstance(app, QApplication)
    return app


class AppShell:
    """Shows the sign-in dialog, then a main window per session, until the user quits."""

    def __init__(self, services: Services, username: str | None = None) -> None:
        self.services = services
        self.username = username
        self.dialog: SignInDialog | None = None
        self.window: MainWindow | None = None

    def start(self) -> None:
        self.dialog = SignInDialog(
            self.services.sessions, self.services.settings.server_url, self.username
        )
        self.dialog.signedIn.connect(self._open_main_window)
        self.dialog.rejected.connect(self._quit)
        self.dialog.show()

    def _open_main_window(self, session: Session) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None
        self.username = session.username
        engine = self.services.start_sync(session)
        self.window = MainWindow(self.services, session, engine)
        self.window.signedOut.connect(self._signed_out)
        self.window.closed.connect(self._quit)
        self.window.show()

    def _signed_out(self) -> None:
        if self.window is not None:
            self.window.deleteLater()
            self.window = None
        self.start()

    def _quit(self) -> None:
        QApplication.quit()


def run(services: Services, *, username: str | None = None) -> int:
    """Run the client until the user quits; always shuts the services down."""
    app = application()
    # Between sign-out and the next sign-in no window is open; that must not end the program.
    app.setQuitOnLastWindowClosed(False)
    shell = AppShell(services, username)
    try:
        shell.start()
        code = app.exec()
    finally:
        if shell.window is not None:
            shell.window.flush_editor()
        wait_for_background_work()
        services.shutdown()
    log.info("Exiting (%d)", code)
    return code


def show_startup_error(message: str) -> None:
    """Tell the user why the client cannot start (a ward PC has no console to read)."""
    app = application()
    if app.platformName() in ("offscreen", "minimal"):
        return  # nobody could click the box away (tests, headless runs); the log has it
    box = QMessageBox(QMessageBox.Icon.Critical, WINDOW_TITLE, message)
    box.setInformativeText(
        "The application cannot start. Tell your IT department what this message says."
    )
    box.exec()
