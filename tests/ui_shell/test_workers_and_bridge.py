"""The background runner and the event bridge deliver on the GUI thread."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from PySide6.QtWidgets import QWidget

from desktop_app.events import (
    ConnectivityChanged,
    EventBus,
    MessageStateChanged,
    OutboxChanged,
    RemindersUpdated,
    SignInRequired,
    SyncStatusChanged,
)
from desktop_app.sync.status import SyncStatus
from ui.bridge import EventBridge
from ui.workers import run_in_background, wait_for_background_work

pytestmark = pytest.mark.gui


def _on_gui_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def test_success_is_delivered_on_the_gui_thread(qtbot) -> None:
    seen: list[tuple[object, bool, str]] = []
    worker_threads: list[str] = []

    def work() -> int:
        worker_threads.append(threading.current_thread().name)
        return 42

    run_in_background(work, lambda value: seen.append((value, _on_gui_thread(), "ok")))
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen == [(42, True, "ok")]
    assert worker_threads and worker_threads[0] != threading.main_thread().name


def test_failure_is_delivered_with_the_exception(qtbot) -> None:
    failures: list[BaseException] = []

    def work() -> None:
        raise ValueError("disk full")

    run_in_background(work, lambda _value: pytest.fail("must not succeed"), failures.append)
    qtbot.waitUntil(lambda: bool(failures), timeout=5000)
    assert isinstance(failures[0], ValueError)
    assert str(failures[0]) == "disk full"


def test_callbacks_are_dropped_when_the_parent_is_gone(qtbot) -> None:
    parent = QWidget()
    release = threading.Event()
    seen: list[object] = []
    run_in_background(lambda: release.wait(5), seen.append, seen.append, parent=parent)
    parent.deleteLater()
    qtbot.waitUntil(lambda: _deleted(parent), timeout=5000)
    release.set()
    assert wait_for_background_work(5000)
    qtbot.wait(50)
    assert seen == []


def _deleted(widget: QWidget) -> bool:
    try:
        widget.objectName()
    except RuntimeError:
        return True
    return False


def test_bridge_re_emits_events_published_on_another_thread(qtbot) -> None:
    bus = EventBus()
    bridge = EventBridge(bus)
    received: list[tuple] = []
    bridge.connectivityChanged.connect(
        lambda online, detail: received.append(("conn", online, detail, _on_gui_thread()))
    )
    bridge.outboxChanged.connect(lambda n: received.append(("outbox", n, _on_gui_thread())))
    bridge.messageStateChanged.connect(
        lambda mid, state: received.append(("state", mid, state, _on_gui_thread()))
    )
    bridge.remindersUpdated.connect(lambda: received.append(("reminders", _on_gui_thread())))
    bridge.signInRequired.connect(lambda d: received.append(("sign-in", d, _on_gui_thread())))
    bridge.syncStatusChanged.connect(lambda s: received.append(("status", s, _on_gui_thread())))
    status = SyncStatus(online=True, syncing=True, done=100, total=250)

    def publish() -> None:
        bus.publish(ConnectivityChanged(online=False, detail="The server cannot be reached."))
        bus.publish(OutboxChanged(unsent=3))
        bus.publish(MessageStateChanged(message_id="m-1", state="receipted"))
        bus.publish(RemindersUpdated(fetched_at=datetime.now(UTC)))
        bus.publish(SignInRequired(detail="Sign in again."))
        bus.publish(SyncStatusChanged(status=status))

    thread = threading.Thread(target=publish)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: len(received) == 6, timeout=5000)
    assert received == [
        ("conn", False, "The server cannot be reached.", True),
        ("outbox", 3, True),
        ("state", "m-1", "receipted", True),
        ("reminders", True),
        ("sign-in", "Sign in again.", True),
        ("status", status, True),
    ]

    bridge.close()
    bus.publish(OutboxChanged(unsent=9))
    qtbot.wait(50)
    assert len(received) == 6
