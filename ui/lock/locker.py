"""Locking the main window: after idle time, on Ctrl+L / "Lock", or when the OS session locks.

Locking hides every patient datum and drops what it can of the decrypted state:
* the open draft's pending values are written first, then the editor is closed (and reopened
  after unlocking);
* other windows of the application (dialogs, message boxes, menus) are closed;
* the window's pages are replaced by the lock page, its bars hidden and actions disabled, and
  the title says only "locked";
* the lists' rows are cleared and the window stops listening to core events, so no reload
  fills them again; UserSession.lock() drops the data key.
The sync engine keeps sending the outbox meanwhile (it holds the outbox key, not the data key).

Unlocking takes the password (UserSession.unlock, offline too) off the GUI thread, with a
growing wait after repeated wrong ones. "Sign in as someone else" ends this clinician's
session and signs out, back to the sign-in dialog.
"""

from __future__ import annotations

import enum
import logging
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QMainWindow,
    QToolBar,
    QToolTip,
    QWidget,
)

from desktop_app.user_session import UserSession
from ui.lock.idle import DEFAULT_CHECK_MS, Clock, IdleMonitor, idle_clock
from ui.lock.os_signals import OsLockWatcher
from ui.lock.page import LockPage
from ui.lock.throttle import GuessThrottle
from ui.models.reloader import ModelReloader
from ui.models.table_model import RowTableModel
from ui.workers import run_on_cache

log = logging.getLogger(__name__)


class LockReason(enum.Enum):
    IDLE = "idle"
    USER = "user"
    OS = "os"


class LockableWindow(Protocol):
    """What the locker needs of the main window (ui.main_window.MainWindow)."""

    editor: Any  # the open DraftEditor (has .message_id) or None
    bridge: QObject  # the EventBridge: blocked while locked
    draftOpened: Any  # Signal(str): an editor is shown

    def close_editor(self) -> None: ...
    def open_draft(self, message_id: str) -> None: ...
    def sign_out(self, *, for_someone_else: bool = False) -> None: ...


class SessionLocker(QObject):
    locked = Signal()
    unlocked = Signal()

    def __init__(
        self,
        window: QMainWindow,
        user: UserSession,
        *,
        idle_minutes: float,
        title: str = "",
        clock: Clock = idle_clock,
        check_interval_ms: int = DEFAULT_CHECK_MS,
        watch_os: bool = True,
        dbus: Any = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.user = user
        self.idle_minutes = idle_minutes
        self.title = title or QApplication.applicationDisplayName()
        self.throttle = GuessThrottle(clock)
        self.page: LockPage | None = None
        self.reason: LockReason | None = None
        self.reopen_draft: str | None = None  # the draft open at the lock
        self._locked = False
        self._checking = False
        self._content: QWidget | None = None
        self._hidden: list[QWidget] = []
        self._disabled: list[QAction] = []
        self._title_before = ""
        self._guards: list[Any] = []
        # Pages and the lock page wait here, hidden, while the other one is shown.
        self._vault = QWidget(window)
        self._vault.setObjectName("lockVault")
        self._vault.hide()

        self.lock_action = QAction(self.tr("&Lock"), window)
        self.lock_action.setObjectName("lockAction")
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        # In a dialog of the application too, not only in the main window.
        self.lock_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.lock_action.setStatusTip(
            self.tr("Hide the patient data until you enter your password")
        )
        self.lock_action.triggered.connect(lambda: self.lock(LockReason.USER))
        window.addAction(self.lock_action)
        # A draft whose reading had begun before the lock must not open behind it.
        window.draftOpened.connect(self._on_draft_opened)

        self.idle = IdleMonitor(
            idle_minutes * 60, clock=clock, check_interval_ms=check_interval_ms, parent=self
        )
        self.idle.idle.connect(self._on_idle)
        self.os_watcher = OsLockWatcher(window, bus=dbus, parent=self)
        self.os_watcher.sessionLocked.connect(self._on_os_locked)
        self.idle.start()
        if not self.idle.enabled:
            log.info("Idle lock off (idle_lock_minutes = 0)")
        if watch_os:
            self.os_watcher.start()

    @property
    def is_locked(self) -> bool:
        return self._locked

    def use_clock(self, clock: Clock) -> None:
        """Measure idle time and password waits on `clock` from now (tests move it)."""
        self.idle.use_clock(clock)
        self.throttle = GuessThrottle(clock)

    def stop(self) -> None:
        """The window closes: stop watching (an ended session is never locked)."""
        self.lock_action.setEnabled(False)
        self.idle.stop()
        self.os_watcher.stop()

    # -- locking --------------------------------------------------------------------------

    @Slot()
    def _on_idle(self) -> None:
        if self.window.isVisible():
            self.lock(LockReason.IDLE)

    @Slot()
    def _on_os_locked(self) -> None:
        if self.window.isVisible():
            self.lock(LockReason.OS)

    def lock(self, reason: LockReason = LockReason.USER) -> None:
        if self._locked or self.user.ended:
            return
        self._locked = True
        self.reason = reason
        self.idle.stop()
        log.info("Locking the window (%s)", reason.value)
        self._close_editor()
        self._close_other_windows()
        window: Any = self.window
        # No reload while locked: the outbox's rows would decrypt with the outbox key.
        window.bridge.blockSignals(True)
        self._clear_models()
        self._show_lock_page()
        # On the cache worker, behind the editor's last save: the autosaver writes it, then the
        # data key goes. An unlock queued later runs after this.
        run_on_cache(self.user.lock, None, self._lock_failed, parent=self)
        self.locked.emit()

    def _lock_failed(self, error: BaseException) -> None:
        log.error("Locking the session's keys failed: %s", type(error).__name__)

    def _close_editor(self) -> None:
        window: Any = self.window
        editor = window.editor
        # The draft shown, or the one being read to be shown (close_editor cancels that).
        opening = getattr(window, "_opening", None)
        self.reopen_draft = editor.message_id if editor is not None else opening
        window.close_editor()  # hands its pending values to the autosaver first

    @Slot(str)
    def _on_draft_opened(self, message_id: str) -> None:
        if self._locked:
            self.reopen_draft = message_id
            self.window.close_editor()  # type: ignore[attr-defined]

    def _close_other_windows(self) -> None:
        QToolTip.hideText()
        for widget in QApplication.topLevelWidgets():
            if widget is self.window or not widget.isVisible():
                continue
            if isinstance(widget, QDialog):
                widget.reject()  # ends a nested exec() too
            widget.close()
            if widget.isVisible():  # refused to close
                widget.hide()

    def _models(self) -> list[RowTableModel]:
        # The window's own list models (drafts, outbox, receipts, reminders); the statistics
        # hold unit figures only, not patients.
        found = [v for v in vars(self.window).values() if isinstance(v, RowTableModel)]
        return list({id(model): model for model in found}.values())

    def _clear_models(self) -> None:
        for model in self._models():
            model.set_rows([])
            # A reload that had already read its rows may still deliver them: empty it again.
            self._guards.append(model.modelReset.connect(lambda m=model: self._keep_empty(m)))
            self._guards.append(
                model.rowsInserted.connect(lambda *_a, m=model: self._keep_empty(m))
            )

    def _keep_empty(self, model: RowTableModel) -> None:
        if self._locked and model.rowCount():
            QTimer.singleShot(0, model, lambda: model.set_rows([]) if self._locked else None)

    def _show_lock_page(self) -> None:
        window = self.window
        session = self.user.session
        if self.page is None:
            self.page = LockPage(session.display_name, _unit_words(getattr(session, "unit", None)))
            self.page.unlockRequested.connect(self.try_unlock)
            self.page.switchUserRequested.connect(self.switch_user)
        self._content = window.takeCentralWidget()
        if self._content is not None:
            self._content.setParent(self._vault)
        window.setCentralWidget(self.page)
        self.page.show()
        bars: list[QWidget] = [window.menuBar(), window.statusBar(), *window.findChildren(QToolBar)]
        self._hidden = [bar for bar in bars if bar.isVisible()]
        for bar in self._hidden:
            bar.hide()
        window.statusBar().clearMessage()
        self._disabled = [
            action
            for action in window.findChildren(
                QAction, options=Qt.FindChildOption.FindDirectChildrenOnly
            )
            if action is not self.lock_action and action.isEnabled()
        ]
        for action in self._disabled:
            action.setEnabled(False)
        self._title_before = window.windowTitle()
        # Ending with the application's name, which Qt would otherwise append once more.
        window.setWindowTitle(self.tr("Locked — {0}").format(self.title))
        self.page.reset(self._reason_text())
        window.activateWindow()

    def _reason_text(self) -> str:
        if self.reason is LockReason.IDLE:
            if self.idle_minutes == 1:
                return self.tr("Locked after 1 minute without use.")
            return self.tr("Locked after {0:g} minutes without use.").format(self.idle_minutes)
        if self.reason is LockReason.OS:
            return self.tr("Locked because this computer's screen was locked.")
        return self.tr("Locked at your request.")

    # -- unlocking ------------------------------------------------------------------------

    @Slot(str)
    def try_unlock(self, password: str) -> None:
        """Check the password off the GUI thread (Argon2id takes a noticeable moment)."""
        if not self._locked or self._checking or self.page is None:
            return
        if self.throttle.wait_s() > 0:
            self.page.refuse(self.throttle.wait_s)
            return
        self._checking = True
        self.page.set_busy(True)
        user = self.user
        run_on_cache(lambda: user.unlock(password), self._checked, self._check_failed, parent=self)

    def _checked(self, opened: object) -> None:
        self._checking = False
        if not self._locked or self.page is None:
            return
        if not opened:
            self.throttle.failed()
            log.info("Wrong unlock password (%d in a row)", self.throttle.failures)
            self.page.refuse(self.throttle.wait_s)
            return
        self.throttle.succeeded()
        self._restore()

    def _check_failed(self, error: BaseException) -> None:
        self._checking = False
        log.error("Checking the unlock password failed: %s", type(error).__name__)
        if self.page is not None:
            self.page.set_busy(False)
            self.page.show_message(
                self.tr("The password could not be checked ({0}). Try again.").format(
                    type(error).__name__
                )
            )

    def _restore(self) -> None:
        window: Any = self.window
        self._locked = False
        for connection in self._guards:
            QObject.disconnect(connection)
        self._guards.clear()
        page = window.takeCentralWidget()
        if page is not None:
            page.setParent(self._vault)
        if self._content is not None:
            window.setCentralWidget(self._content)
            self._content.show()
            self._content = None
        for bar in self._hidden:
            bar.show()
        for action in self._disabled:
            action.setEnabled(True)
        self._hidden, self._disabled = [], []
        window.setWindowTitle(self._title_before)
        window.bridge.blockSignals(False)
        self._reload_models()
        draft, self.reopen_draft = self.reopen_draft, None
        if draft is not None:
            window.open_draft(draft)
        self.idle.start()
        log.info("Window unlocked")
        self.unlocked.emit()

    def _reload_models(self) -> None:
        reloaders = {id(r.model): r for r in self.window.findChildren(ModelReloader)}
        for model in self._models():
            reloader = reloaders.get(id(model))
            if reloader is not None:
                reloader.reload_now()  # in the background
            else:
                model.refresh()

    # -- another clinician ----------------------------------------------------------------

    @Slot()
    def switch_user(self) -> None:
        """Sign out from the lock page: the AppShell ends this clinician's session (their
        outbox waits for their next sign-in) and shows the sign-in dialog. The lock page
        stays until the window has closed."""
        if self._checking:
            return
        log.info("Signing out from the lock page for another clinician")
        self.stop()
        window: Any = self.window
        window.sign_out(for_someone_else=True)


def _unit_words(unit: object) -> str:
    """ "Unit, hospital" from the sign-in's unit (as the status bar shows it)."""
    if not isinstance(unit, dict):
        return str(unit or "")
    parts = (unit.get("name") or "", unit.get("hospital_name") or "")
    return ", ".join(part for part in parts if part)
