"""Lock with the operating system's session, where Qt can tell us: best effort only.

* Linux: the screen saver's ``ActiveChanged(true)`` on the session bus (KDE and others:
  org.freedesktop.ScreenSaver; GNOME: org.gnome.ScreenSaver), through QtDBus.
* Windows: WM_WTSSESSION_CHANGE with WTS_SESSION_LOCK, after WTSRegisterSessionNotification
  for the main window, through a native event filter.

Nothing here may stop the client from starting: whatever is missing is logged and skipped;
the idle lock still works.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from PySide6.QtCore import (
    SLOT,
    QAbstractNativeEventFilter,
    QByteArray,
    QCoreApplication,
    QObject,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

SCREEN_SAVERS = ("org.freedesktop.ScreenSaver", "org.gnome.ScreenSaver")

WM_WTSSESSION_CHANGE = 0x02B1
WTS_SESSION_LOCK = 7
NOTIFY_FOR_THIS_SESSION = 0


class OsLockWatcher(QObject):
    """Emits ``sessionLocked`` (queued, on the GUI thread) when the OS session locks."""

    sessionLocked = Signal()
    _seen = Signal()

    def __init__(self, window: QWidget, *, bus: Any = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._window = window
        self._bus = bus  # a QDBusConnection; the session bus when None
        self._native: _SessionChangeFilter | None = None
        self._hwnd: int | None = None
        self.sources: list[str] = []
        # The native filter runs inside the event dispatcher: lock after it has returned.
        self._seen.connect(self.sessionLocked, Qt.ConnectionType.QueuedConnection)

    def start(self) -> list[str]:
        """Listen wherever possible; returns what is listened to (also logged)."""
        try:
            if sys.platform == "win32":
                self._start_windows()
            else:
                self._start_dbus()
        except Exception:
            log.warning("Cannot follow the OS session lock", exc_info=True)
        if self.sources:
            log.info("Locking with the OS session: %s", ", ".join(self.sources))
        else:
            log.info("The OS session lock cannot be followed here; the idle lock still works")
        return list(self.sources)

    def stop(self) -> None:
        try:
            if self._native is not None:
                app = QCoreApplication.instance()
                if app is not None:
                    app.removeNativeEventFilter(self._native)
                self._native = None
            if self._hwnd is not None:
                import ctypes

                ctypes.windll.wtsapi32.WTSUnRegisterSessionNotification(self._hwnd)  # type: ignore[attr-defined]
                self._hwnd = None
        except Exception:
            log.warning("Stopping the OS session lock watch failed", exc_info=True)
        self.sources.clear()

    # -- Linux: D-Bus ---------------------------------------------------------------------

    def _start_dbus(self) -> None:
        try:
            from PySide6.QtDBus import QDBusConnection
        except ImportError:
            log.info("QtDBus is not available")
            return
        bus = self._bus if self._bus is not None else QDBusConnection.sessionBus()
        if not bus.isConnected():
            log.info("No D-Bus session bus")
            return
        for interface in SCREEN_SAVERS:
            # Any sender and path: the screen savers emit from differing paths (/ScreenSaver,
            # /org/freedesktop/ScreenSaver, /org/gnome/ScreenSaver).
            if bus.connect("", "", interface, "ActiveChanged", self, SLOT("_active_changed(bool)")):
                self.sources.append(f"D-Bus {interface}")

    @Slot(bool)
    def _active_changed(self, active: bool) -> None:
        if active:
            log.info("The screen saver or screen lock came on")
            self._seen.emit()

    # -- Windows: WTS session notifications -----------------------------------------------

    def _start_windows(self) -> None:
        import ctypes

        hwnd = int(self._window.winId())
        if not ctypes.windll.wtsapi32.WTSRegisterSessionNotification(  # type: ignore[attr-defined]
            hwnd, NOTIFY_FOR_THIS_SESSION
        ):
            log.info("WTSRegisterSessionNotification failed (%d)", ctypes.GetLastError())  # type: ignore[attr-defined]
            return
        self._hwnd = hwnd
        self._native = _SessionChangeFilter(self._seen.emit)
        app = QCoreApplication.instance()
        if app is not None:
            app.installNativeEventFilter(self._native)
            self.sources.append("Windows session notifications")


class _SessionChangeFilter(QAbstractNativeEventFilter):
    def __init__(self, on_lock: Any) -> None:
        super().__init__()
        self._on_lock = on_lock

    def nativeEventFilter(self, eventType: QByteArray | bytes, message: int) -> tuple[bool, int]:
        try:
            if bytes(eventType) == b"windows_generic_MSG":
                import ctypes.wintypes

                msg = ctypes.wintypes.MSG.from_address(int(message))
                if msg.message == WM_WTSSESSION_CHANGE and msg.wParam == WTS_SESSION_LOCK:
                    self._on_lock()
        except Exception:  # never let an exception out of the dispatcher
            log.exception("Reading a session change failed")
        return False, 0
