"""Idle detection: how long since the user last touched the keyboard, mouse, wheel or screen
anywhere in the application, and a signal once that reaches the configured time.

One event filter on the QApplication sees the input of every window (dialogs and message
boxes too) before any widget does. Only spontaneous events count: those the window system
delivered, not events the program sends itself (a synthetic hover after a layout change must
not keep a forgotten session open).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

Clock = Callable[[], float]

_T = QEvent.Type
INPUT_EVENTS = frozenset(
    {
        _T.KeyPress,
        _T.KeyRelease,
        _T.MouseButtonPress,
        _T.MouseButtonRelease,
        _T.MouseButtonDblClick,
        _T.MouseMove,
        _T.Wheel,
        _T.TouchBegin,
        _T.TouchUpdate,
        _T.TouchEnd,
        _T.TabletPress,
        _T.TabletMove,
        _T.TabletRelease,
    }
)

DEFAULT_CHECK_MS = 5000


def idle_clock() -> float:
    """Seconds on a clock that keeps counting while the computer sleeps (Linux's
    CLOCK_BOOTTIME; Windows' monotonic clock already does): a PC woken after an hour in
    standby has been idle for that hour."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is not None:
        return time.clock_gettime(boottime)
    return time.monotonic()


class IdleMonitor(QObject):
    """Emits ``idle`` once the user has given no input for ``timeout_s`` seconds (0: never).

    ``clock`` is injectable so tests move time instead of waiting; the timer only decides how
    often the clock is looked at. After ``idle`` it stays quiet until the next input or
    ``reset()``.
    """

    idle = Signal()

    def __init__(
        self,
        timeout_s: float,
        *,
        clock: Clock = idle_clock,
        check_interval_ms: int = DEFAULT_CHECK_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.timeout_s = timeout_s
        self._clock = clock
        self._last_input = clock()
        self._fired = False
        self._installed = False
        self._timer = QTimer(self)
        # A tenth of the timeout at most, so the lock comes no later than 10 % after it.
        interval = check_interval_ms
        if timeout_s > 0:
            interval = max(100, min(check_interval_ms, int(timeout_s * 100)))
        self._timer.setInterval(interval)
        self._timer.timeout.connect(self.check)

    @property
    def enabled(self) -> bool:
        return self.timeout_s > 0

    @property
    def running(self) -> bool:
        return self._installed

    def start(self) -> None:
        """Start watching (idempotent); the idle time counts from now."""
        self.reset()
        if not self.enabled or self._installed:
            return
        app = QApplication.instance()
        if app is None:
            raise RuntimeError("IdleMonitor needs a QApplication")
        app.installEventFilter(self)
        self._installed = True
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        if self._installed:
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self)
            self._installed = False

    def use_clock(self, clock: Clock) -> None:
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        self._last_input = self._clock()
        self._fired = False

    def idle_for(self) -> float:
        return max(0.0, self._clock() - self._last_input)

    def check(self) -> bool:
        """Emit ``idle`` if the timeout has passed (the timer calls this; tests may too)."""
        if not self._installed or self._fired or self.idle_for() < self.timeout_s:
            return False
        self._fired = True
        log.info("No input for %.0f s: idle", self.idle_for())
        self.idle.emit()
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Called for every event of the application: keep it to a set lookup.
        if event.type() in INPUT_EVENTS and event.spontaneous():
            self._last_input = self._clock()
            self._fired = False
        return False
