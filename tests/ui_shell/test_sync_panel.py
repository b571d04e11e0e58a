"""The sync panel (Outbox page) with real parts: the cache file, the EventBus and EventBridge, the
registry server on loopback TLS and, where a pass matters, the real SyncEngine.

Engine states are driven by publishing the engine's own events (``SyncStatusChanged``,
``SignInRequired``, ``MessageStateChanged``) on the real bus; the bridge carries them to the
GUI thread exactly as it does for the engine's thread.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt, QTimer
from sqlalchemy import event

from desktop_app.app import Services
from desktop_app.auth import Session
from desktop_app.events import MessageStateChanged, SignInRequired, SyncStatusChanged
from desktop_app.sync.status import SyncStatus
from desktop_app.user_session import UserSession
from local_cache import MessageState, Quarantine
from tests.support.live_server import LiveServer
from ui.bridge import EventBridge
from ui.main_window import MainWindow
from ui.models.messages_model import OutboxModel
from ui.models.names import CatalogueNames
from ui.models.reloader import ModelReloader
from ui.models.table_model import WARNING_COLOUR
from ui.views.outbox_view import AGE_REFRESH_MS, OutboxView
from ui.views.sync_panel import number
from ui.workers import wait_for_background_work

from .conftest import queue_valid_report

pytestmark = pytest.mark.gui

PROGRESS_MIN_TOTAL = 10


class Clock:
    """The panel's clock, moved on by the test (waiting times are measured against it)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def bridge(services: Services) -> Iterator[EventBridge]:
    bridge = EventBridge(services.events)
    yield bridge
    bridge.close()


@pytest.fixture
def panel(
    qtbot, services: Services, user: UserSession, session: Session, bridge, clock
) -> OutboxView:
    names = CatalogueNames(services.catalogue, "en")
    model = OutboxModel(user.cache.messages, session.username, names)
    view = OutboxView(
        model,
        user,
        bridge,
        age_warning_minutes=60,
        progress_min_total=PROGRESS_MIN_TOTAL,
        clock=clock,
    )
    qtbot.addWidget(view)
    view.model.setParent(view)
    view.resize(1000, 600)
    view.show()
    view.refresh()
    wait_loaded(qtbot, view.reloader)
    return view


def wait_loaded(qtbot, reloader: ModelReloader) -> None:
    qtbot.waitUntil(lambda: not reloader.busy, timeout=10000)


def reload(qtbot, panel: OutboxView) -> None:
    panel.refresh()
    wait_loaded(qtbot, panel.reloader)


def publish_status(qtbot, services: Services, panel: OutboxView, **fields) -> SyncStatus:
    status = SyncStatus(**fields)
    services.events.publish(SyncStatusChanged(status=status))
    qtbot.waitUntil(lambda: panel.sync_status == status, timeout=5000)
    return status


def hhmm(when: datetime) -> str:
    return when.astimezone().strftime("%H:%M")


# -- what the header says --------------------------------------------------------------------------


def test_the_status_sentence_for_each_engine_state(qtbot, panel, services, user, session) -> None:
    sentence = panel.header.status_label
    now = datetime.now(UTC)
    assert sentence.text() == "Connecting to the registry server…"  # nothing heard yet

    publish_status(qtbot, services, panel, online=True, syncing=True, done=340, total=1000)
    assert sentence.text() == f"Sending {number(340)} of {number(1000)}…"

    wait_until = now + timedelta(minutes=12)
    publish_status(qtbot, services, panel, online=False, server_wait_until=wait_until)
    assert sentence.text() == (
        f"Waiting until {hhmm(wait_until)}: the registry server asked us to wait."
    )

    retry_at = now + timedelta(minutes=3)
    failed_at = now - timedelta(minutes=1)
    publish_status(
        qtbot,
        services,
        panel,
        online=False,
        next_attempt_at=retry_at,
        last_error="The registry server cannot be reached.",
        last_error_at=failed_at,
    )
    assert sentence.text() == (
        f"Offline: the registry server could not be reached. Retrying at {hhmm(retry_at)}."
    )
    assert panel.header.error_label.isVisible()
    assert panel.header.error_label.text() == (
        f"Last problem at {hhmm(failed_at)}: The registry server cannot be reached."
    )

    publish_status(qtbot, services, panel, online=True, last_success_at=now)
    assert sentence.text() == "Everything has been sent."
    assert not panel.header.error_label.isVisible()

    queue_valid_report(user)
    reload(qtbot, panel)
    next_at = now + timedelta(seconds=30)
    publish_status(
        qtbot, services, panel, online=True, last_success_at=now, next_attempt_at=next_at
    )
    assert sentence.text() == f"1 report(s) waiting to be sent. Next attempt at {hhmm(next_at)}."

    services.events.publish(SignInRequired(detail="Sign in again."))
    qtbot.waitUntil(lambda: sentence.text().startswith("Not signed in"), timeout=5000)
    assert not panel.header.send_button.isEnabled()  # nothing can be sent without a token


def test_the_oldest_unsent_report_is_highlighted_past_the_threshold_and_not_before(
    qtbot, panel, services, user, session, clock
) -> None:
    assert not panel.header.age_box.isVisible()  # nothing waits
    message_id = queue_valid_report(user)
    queued_at = user.cache.messages.get(message_id).queued_at
    clock.now = queued_at + timedelta(minutes=59, seconds=30)
    reload(qtbot, panel)

    header, model = panel.header, panel.model
    cell = model.index(0, OutboxModel.COL_QUEUED)
    assert header.age_label.text() == "Oldest unsent report waiting 59 min."
    assert not header.age_icon.isVisible()
    assert model.data(cell, Qt.ItemDataRole.ForegroundRole) is None
    assert model.data(cell, Qt.ItemDataRole.DecorationRole) is None

    # The timer moves the words on without any reload.
    assert panel.age_timer.isActive() and panel.age_timer.interval() == AGE_REFRESH_MS
    clock.now = queued_at + timedelta(hours=1, minutes=20)
    loads = panel.reloader.loads_started
    panel.age_timer.timeout.emit()
    assert panel.reloader.loads_started == loads
    assert header.age_label.text().startswith(
        "Warning: the oldest unsent report has waited 1 h 20 min, longer than 1 h."
    )
    assert header.age_icon.isVisible()  # an icon and the word "Warning", not colour alone
    assert header.age_box.property("overdue") is True
    assert model.data(cell, Qt.ItemDataRole.ForegroundRole) == WARNING_COLOUR
    assert model.data(cell, Qt.ItemDataRole.DecorationRole) is not None
    assert "longer than 60 minutes" in model.data(cell, Qt.ItemDataRole.ToolTipRole)


def test_the_progress_bar_shows_only_during_a_long_pass(qtbot, panel, services) -> None:
    bar = panel.header.progress
    assert bar.isHidden()
    publish_status(qtbot, services, panel, online=True, syncing=True, done=0, total=5)
    assert bar.isHidden()  # one short request: the sentence says enough
    assert panel.header.cancel_button.isEnabled()

    publish_status(qtbot, services, panel, online=True, syncing=True, done=100, total=250)
    assert bar.isVisible()
    assert (bar.value(), bar.maximum()) == (100, 250)
    assert bar.text() == "100 of 250 sent"
    assert not panel.header.send_button.isEnabled()  # a pass is running already

    publish_status(qtbot, services, panel, online=True, syncing=False, done=250, total=250)
    assert bar.isHidden()
    assert not panel.header.cancel_button.isEnabled()
    assert panel.header.send_button.isEnabled()


# -- the user's actions, through the real engine and server ----------------------------------------


def test_send_now_runs_a_pass_that_delivers_the_report(
    qtbot, panel, services, user, session, server: LiveServer
) -> None:
    engine = user.start_sync()
    qtbot.waitUntil(lambda: engine.status.last_success_at is not None, timeout=10000)
    qtbot.waitUntil(lambda: panel.sync_status.last_success_at is not None, timeout=5000)
    # The next timed pass is a minute away: only Send now can send this one in time.
    message_id = queue_valid_report(user)
    reload(qtbot, panel)
    assert panel.model.rowCount() == 1

    panel.header.send_button.click()

    qtbot.waitUntil(
        lambda: user.cache.messages.get(message_id).state == MessageState.RECEIPTED,
        timeout=10000,
    )
    assert server.message_count() == 1
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=5000)
    qtbot.waitUntil(
        lambda: panel.header.status_label.text() == "Everything has been sent.", timeout=5000
    )


def test_retry_queues_a_refused_report_again_with_its_key(
    qtbot, panel, services, user, session
) -> None:
    message_id = queue_valid_report(user)
    record = user.cache.messages.get(message_id)
    # The server already holds this message under another key: ours is refused (409).
    services.api.submit(session.token(), record.body, str(uuid.uuid4()))
    user.start_sync()
    qtbot.waitUntil(
        lambda: (
            panel.model.rowCount() == 1 and panel.model.row_at(0).state == MessageState.REJECTED
        ),
        timeout=10000,
    )
    user.stop_sync()  # from here on nothing sends it: what Retry does stays visible
    model = panel.model
    assert model.data(model.index(0, OutboxModel.COL_STATE)) == "On hold: refused"
    assert model.data(model.index(0, OutboxModel.COL_STATE), Qt.ItemDataRole.DecorationRole)
    assert model.row_at(0).last_error
    assert "1 report(s) refused by the registry" in panel.summary.text()
    assert not panel.retry_button.isEnabled()  # nothing selected

    panel.table.selectRow(0)
    assert panel.retry_button.isEnabled() and panel.return_button.isEnabled()
    # Reloads during a sync keep the user's selection.
    services.events.publish(MessageStateChanged(message_id=message_id, state="rejected"))
    qtbot.waitUntil(lambda: panel.reloader.busy, timeout=2000)
    wait_loaded(qtbot, panel.reloader)
    assert [r.id for r in panel.selected_records()] == [message_id]

    with qtbot.waitSignal(panel.retried, timeout=5000) as retried:
        panel.retry_button.click()
    assert retried.args == [1]
    again = user.cache.messages.get(message_id)
    assert again.state == MessageState.QUEUED
    assert again.idempotency_key == record.idempotency_key
    wait_loaded(qtbot, panel.reloader)
    assert model.row_at(0).state == MessageState.QUEUED
    assert panel.notice.text().startswith("1 refused report(s) put back in the outbox")
    assert not panel.return_button.isEnabled()  # only a refused report goes back to draft


def test_return_to_draft_opens_the_refused_report_in_the_editor(
    qtbot, services, user, session
) -> None:
    message_id = queue_valid_report(user)
    user.cache.messages.claim_outgoing(session.username)
    user.cache.messages.record_outcomes([Quarantine(message_id, "Refused for the test.")])
    window = MainWindow(services, user)
    qtbot.addWidget(window)
    window.show()
    window.show_page(MainWindow.OUTBOX)
    panel = window.outbox_view
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=5000)
    assert window.status.unsent_label.text() == "0 unsent, 1 refused"

    panel.table.selectRow(0)
    panel.return_button.click()

    qtbot.waitUntil(lambda: window.editor is not None, timeout=5000)
    assert window.editor.message_id == message_id
    assert user.cache.messages.get(message_id).state == MessageState.DRAFT
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=5000)
    qtbot.waitUntil(lambda: window.status.unsent_label.text() == "0 unsent", timeout=5000)


# -- the GUI thread stays free ---------------------------------------------------------------------


def _publish_from_thread(services: Services, events: list[object], pause_s: float = 0.0) -> None:
    def publish() -> None:
        for item in events:
            services.events.publish(item)
            if pause_s:
                time.sleep(pause_s)

    thread = threading.Thread(target=publish)
    thread.start()
    thread.join()


def test_a_burst_of_300_state_events_reloads_each_list_a_few_times_only(
    qtbot, services, user, session
) -> None:
    queue_valid_report(user)
    window = MainWindow(services, user)
    qtbot.addWidget(window)
    reloaders = (window.outbox_reload, window.drafts_reload, window.receipts_reload)
    for reloader in reloaders:
        wait_loaded(qtbot, reloader)
    before = [r.loads_started for r in reloaders]

    states = ("sending", "receipted", "rejected")
    burst = [
        MessageStateChanged(message_id=f"m-{i}", state=states[i % len(states)]) for i in range(300)
    ]
    _publish_from_thread(services, burst)
    qtbot.waitUntil(lambda: any(r.busy for r in reloaders), timeout=2000)
    for reloader in reloaders:
        wait_loaded(qtbot, reloader)
    qtbot.wait(300)  # nothing more follows

    loads = [r.loads_started - b for r, b in zip(reloaders, before, strict=True)]
    assert all(1 <= n <= 2 for n in loads), loads
    assert window.outbox_model.rowCount() == 1


def test_a_steady_stream_of_events_still_refreshes_the_list_while_it_lasts(
    qtbot, panel, services, session
) -> None:
    before = panel.reloader.loads_started
    stream = [MessageStateChanged(message_id=f"m-{i}", state="sending") for i in range(100)]
    started = time.monotonic()
    thread = threading.Thread(target=_publish_from_thread, args=(services, stream, 0.01))
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=10000)
    thread.join()
    lasted_ms = (time.monotonic() - started) * 1000
    wait_loaded(qtbot, panel.reloader)

    loads = panel.reloader.loads_started - before
    # Not one reload per event, and not starved until the stream ends either.
    assert 2 <= loads <= lasted_ms / panel.reloader.delay_ms + 2, (loads, lasted_ms)


def test_rows_are_read_off_the_gui_thread_and_a_stale_result_is_dropped(
    qtbot, panel, services, user, session
) -> None:
    queue_valid_report(user, seed=1)
    held, release = threading.Event(), threading.Event()
    reading_threads: list[threading.Thread] = []
    armed = [True]

    def hold_list_query(_conn, _cursor, statement, *_args) -> None:
        # After the SELECT has run: its snapshot of the table is taken, its rows not read yet.
        if armed[0] and "FROM messages" in statement and "ORDER BY" in statement:
            armed[0] = False
            reading_threads.append(threading.current_thread())
            held.set()
            release.wait(10)

    engine = services.cache.engine
    event.listen(engine, "after_cursor_execute", hold_list_query)
    try:
        panel.refresh()
        qtbot.waitUntil(held.is_set, timeout=5000)
        assert reading_threads[0] is not threading.main_thread()

        # The GUI thread goes on while the query is held: timers fire, the table answers.
        ticks: list[int] = []
        QTimer.singleShot(10, lambda: ticks.append(1))
        qtbot.waitUntil(lambda: bool(ticks), timeout=2000)
        assert panel.model.rowCount() == 0
        assert panel.table.model().rowCount() == 0

        # Meanwhile the list is refreshed directly with a newer state of the outbox.
        # (Read by the test itself: the window never reads on the GUI thread.)
        queue_valid_report(user, seed=2)
        rows = user.cache.messages.list(None, list(panel.model.states), with_body=False)
        panel.model.set_rows(rows)
        assert panel.model.rowCount() == 2
    finally:
        release.set()
        wait_for_background_work(5000)
        event.remove(engine, "after_cursor_execute", hold_list_query)
    wait_loaded(qtbot, panel.reloader)
    assert panel.reloader.stale_dropped == 1
    assert panel.model.rowCount() == 2  # the held, older result did not overwrite it
