"""The session lock: idle detection, the lock page, the OS session lock, and the locker that
ties them to the main window (see ui.lock.locker)."""

from ui.lock.idle import IdleMonitor, idle_clock
from ui.lock.locker import LockReason, SessionLocker
from ui.lock.os_signals import OsLockWatcher
from ui.lock.page import LockPage
from ui.lock.throttle import GuessThrottle

__all__ = [
    "GuessThrottle",
    "IdleMonitor",
    "LockPage",
    "LockReason",
    "OsLockWatcher",
    "SessionLocker",
    "idle_clock",
]
