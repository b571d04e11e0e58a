"""QApplication set-up and the session loop: sign in -> main window -> (sign out -> sign in ...)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_app import __version__
from desktop_app.app import Services
from desktop_app.config import APP_NAME
from desktop_app.user_session import UserSession
from ui.main_window import WINDOW_TITLE, MainWindow
from ui.sign_in_dialog import SignInDialog
from ui.workers import call_on_cache, run_on_cache, wait_for_background_work

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
    """Shows the sign-in dialog, then a main window per UserSession, until the user quits.

    It owns the session's life: started (sync) after the sign-in, ended at sign-out (then the
    server's tokens are forgotten) and before the shared services shut down at quit. Both run
    on the cache worker, behind the window's last save."""

    def __init__(self, services: Services, username: str | None = None) -> None:
        self.services = services
        self.username = username
        self.dialog: SignInDialog | None = None
        self.window: MainWindow | None = None
        self.user: UserSession | None = None

    def start(self) -> None:
        self.dialog = SignInDialog(self.services, self.username)
        self.dialog.signedIn.connect(self._start_session)
        self.dialog.rejected.connect(self._quit)
        self.dialog.show()

    def _start_session(self, user: UserSession) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None
        self.user = user
        self.username = user.owner
        # Starting the engine reads the receipt keys from the cache: not on the GUI thread.
        run_on_cache(user.start_sync, lambda _engine: self._open_main_window(user))

    def _open_main_window(self, user: UserSession) -> None:
        if user is not self.user or user.ended:
            return
        self.window = MainWindow(self.services, user)
        self.window.signedOut.connect(self._signed_out)
        self.window.closed.connect(self._quit)
        self.window.show()

    def _signed_out(self) -> None:
        if self.window is not None and self.window.for_someone_else:
            self.username = None  # the next clinician types their own name
        if self.window is not None:
            self.window.deleteLater()
            self.window = None
        user, self.user = self.user, None
        if user is None:
            self.start()
            return
        sessions = self.services.sessions

        def end() -> None:
            try:
                user.end()
            finally:  # the tokens go even when writing the last edit failed
                sessions.sign_out(user.session)
                log.info("Signed out")

        run_on_cache(end, lambda _none: self.start(), self._sign_out_failed)

    def _sign_out_failed(self, error: BaseException) -> None:
        log.error("Signing out failed: %s", type(error).__name__)
        self.start()

    def finish(self) -> None:
        """At quit: end the session (its last edit written), then nothing else may run."""
        if self.window is not None:
            self.window.flush_editor_and_wait()
        user, self.user = self.user, None
        if user is not None:
            try:
                call_on_cache(user.end, timeout_ms=15_000)
            except Exception:
                log.exception("Ending the session failed")
            # Quitting a shared PC's app is leaving it: no token of this clinician stays in
            # the OS account's keyring for the next person (the revoke waits 3 s at most).
            try:
                call_on_cache(lambda: self.services.sessions.sign_out(user.session))
            except Exception:
                log.exception("Signing out at quit failed")
        wait_for_background_work()

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
        shell.finish()
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
