"""The lock's parts on their own: idle detection with a controllable clock, the guess
throttle, the lock page, and the OS screen-lock signal on a private D-Bus session bus."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from ui.lock import GuessThrottle, IdleMonitor, LockPage, OsLockWatcher

pytestmark = pytest.mark.gui


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def field(qtbot) -> QLineEdit:
    edit = QLineEdit()
    qtbot.addWidget(edit)
    edit.show()
    qtbot.waitExposed(edit)
    return edit


@pytest.fixture
def monitor(qtbot, clock) -> Iterator[IdleMonitor]:
    idle = IdleMonitor(60.0, clock=clock, check_interval_ms=60_000)
    idle.start()
    yield idle
    idle.stop()


def test_idle_after_the_timeout_once(qtbot, monitor, clock) -> None:
    clock.advance(59)
    assert not monitor.check()
    clock.advance(1)
    with qtbot.waitSignal(monitor.idle, timeout=1000):
        assert monitor.check()
    clock.advance(600)
    assert not monitor.check()  # once, until the next input


def test_keyboard_and_mouse_input_reset_the_idle_time(qtbot, monitor, clock, field) -> None:
    clock.advance(50)
    qtbot.keyClick(field, Qt.Key.Key_A)
    assert monitor.idle_for() == 0
    clock.advance(50)
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    assert monitor.idle_for() == 0
    clock.advance(50)
    qtbot.mouseMove(field, QPoint(5, 5))
    qtbot.mouseMove(field, QPoint(8, 6))
    clock.advance(50)
    assert not monitor.check()  # 50 s since the last input, not 200


def test_events_the_program_sends_itself_do_not_count(qtbot, monitor, clock, field) -> None:
    clock.advance(30)
    # Not spontaneous: sent by code, not by the window system.
    QApplication.sendEvent(
        field, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_B, Qt.KeyboardModifier.NoModifier, "b")
    )
    assert field.text() == "b"
    assert monitor.idle_for() == 30


def test_the_timer_checks_by_itself(qtbot, clock) -> None:
    idle = IdleMonitor(60.0, clock=clock, check_interval_ms=20)
    idle.start()
    try:
        assert idle._timer.interval() >= 20
        clock.advance(61)
        with qtbot.waitSignal(idle.idle, timeout=2000):
            pass
    finally:
        idle.stop()


def test_zero_minutes_never_locks(qtbot, clock) -> None:
    idle = IdleMonitor(0, clock=clock, check_interval_ms=20)
    idle.start()
    fired: list[bool] = []
    idle.idle.connect(lambda: fired.append(True))
    clock.advance(10**7)
    qtbot.wait(100)
    assert not idle.check() and not fired and not idle.running
    idle.stop()


def test_guess_throttle_grows_and_resets(clock) -> None:
    throttle = GuessThrottle(clock)
    assert [throttle.failed() for _ in range(3)][:2] == [0, 0]
    assert throttle.wait_s() == GuessThrottle.FIRST_WAIT_S
    clock.advance(throttle.wait_s())
    assert throttle.failed() == 2 * GuessThrottle.FIRST_WAIT_S
    for _ in range(20):
        throttle.failed()
    assert throttle.wait_s() == GuessThrottle.MAX_WAIT_S
    throttle.succeeded()
    assert throttle.wait_s() == 0 and throttle.failures == 0


def test_lock_page_counts_a_wait_down_then_frees_the_button(qtbot, clock) -> None:
    page = LockPage("Demo Doctor", "Breast surgery")
    qtbot.addWidget(page)
    page.show()
    page.reset("Locked at your request.")
    passwords: list[str] = []
    page.unlockRequested.connect(passwords.append)
    assert not page.unlock_button.isEnabled()  # nothing typed
    qtbot.keyClicks(page.password_edit, "secret")
    qtbot.keyClick(page.password_edit, Qt.Key.Key_Return)
    assert passwords == ["secret"]

    until = clock.now + 5
    page.refuse(lambda: max(0.0, until - clock.now))
    assert page.password_edit.text() == ""
    assert "try again in 5 s" in page.message_label.text()
    qtbot.keyClicks(page.password_edit, "again")  # nothing typed during the wait is kept
    assert page.password_edit.text() == "" and not page.unlock_button.isEnabled()
    clock.advance(5)
    qtbot.waitUntil(lambda: not page.password_edit.isReadOnly(), timeout=2000)
    assert page.message_label.text() == "Wrong password. The session stays locked."
    qtbot.keyClicks(page.password_edit, "again")
    assert page.unlock_button.isEnabled()


@pytest.fixture
def session_bus() -> Iterator[str]:
    """A private D-Bus session bus (the address)."""
    daemon = shutil.which("dbus-daemon")
    if daemon is None:
        pytest.skip("dbus-daemon is not installed")
    process = subprocess.Popen(
        [daemon, "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(5)


@pytest.mark.parametrize(
    ("path", "interface"),
    [
        ("/org/gnome/ScreenSaver", "org.gnome.ScreenSaver"),
        ("/ScreenSaver", "org.freedesktop.ScreenSaver"),
    ],
)
def test_screen_saver_active_changed_true_is_a_session_lock(
    qtbot, session_bus, path, interface
) -> None:
    QtDBus = pytest.importorskip("PySide6.QtDBus")
    bus = QtDBus.QDBusConnection.connectToBus(session_bus, f"lock-watch-{interface}")
    sender = QtDBus.QDBusConnection.connectToBus(session_bus, f"lock-send-{interface}")
    window = QWidget()
    qtbot.addWidget(window)
    watcher = OsLockWatcher(window, bus=bus)
    assert f"D-Bus {interface}" in watcher.start()
    seen: list[bool] = []
    watcher.sessionLocked.connect(lambda: seen.append(True))

    def send(active: bool) -> None:
        message = QtDBus.QDBusMessage.createSignal(path, interface, "ActiveChanged")
        message.setArguments([active])
        assert sender.send(message)

    # The bus takes the watcher's match rules asynchronously: send until one is seen.
    for _ in range(50):
        send(True)
        qtbot.wait(100)
        if seen:
            break
    assert seen
    seen.clear()
    send(False)  # the screen saver going off is no lock
    qtbot.wait(300)
    assert seen == []
    watcher.stop()


def test_without_a_session_bus_start_up_goes_on(qtbot) -> None:
    QtDBus = pytest.importorskip("PySide6.QtDBus")
    window = QWidget()
    qtbot.addWidget(window)
    nowhere = QtDBus.QDBusConnection.connectToBus("unix:path=/nonexistent/bus", "no-bus")
    assert OsLockWatcher(window, bus=nowhere).start() == []
