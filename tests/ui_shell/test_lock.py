"""The session lock in the real main window: the real server on loopback TLS, a real SQLite
cache with encrypted payloads, a real UserSession, real widgets offscreen. Idle time runs on a
controllable clock; nothing waits minutes."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace

import pytest
import shiboken6
from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTextEdit,
    QToolBar,
    QWidget,
)
from sqlalchemy import select

from desktop_app.forms.examples import example_values
from desktop_app.forms.identity import generate_identity_number
from desktop_app.sign_in import sign_in
from desktop_app.user_session import UserSession
from local_cache import MessageState
from local_cache.errors import CacheLocked
from local_cache.schema import messages
from ui.application import AppShell
from ui.lock import LockReason
from ui.main_window import MainWindow

from .conftest import DEMO_PASSWORD, DEMO_USER
from .test_lock_parts import FakeClock

pytestmark = [pytest.mark.gui, pytest.mark.timeout(120)]

NAME = "Kanari Låsesen"
NUMBER = generate_identity_number(random.Random(1010))
IDLE_MINUTES = 10.0


def needles(number: str = NUMBER, name: str = NAME) -> list[str]:
    return [number, f"{number[:6]} {number[6:]}", number[:6] + "*****", name, name.split()[-1]]


def columns(model: QAbstractItemModel, parent: QModelIndex) -> int:
    try:
        return model.columnCount(parent)
    except TypeError:  # a list model's columnCount is private in PySide6
        return 1


def model_texts(view: QAbstractItemView) -> Iterator[str]:
    model = view.model()
    if model is None:
        return
    roles = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)
    pending = [QModelIndex()]
    while pending:
        parent = pending.pop()
        for row in range(model.rowCount(parent)):
            for column in range(columns(model, parent)):
                index = model.index(row, column, parent)
                yield from (str(model.data(index, role) or "") for role in roles)
            pending.append(model.index(row, 0, parent))
    for section in range(columns(model, QModelIndex())):
        yield str(model.headerData(section, Qt.Orientation.Horizontal) or "")


def widget_texts(widget: QWidget) -> Iterator[str]:
    yield widget.windowTitle()
    yield widget.toolTip()
    match widget:
        case QLabel():
            yield widget.text()
        case QLineEdit():
            yield widget.text()
            yield widget.placeholderText()
        case QAbstractButton():
            yield widget.text()
        case QTextEdit() | QPlainTextEdit():
            yield widget.toPlainText()
        case QComboBox():
            yield from (widget.itemText(i) for i in range(widget.count()))
        case QAbstractItemView():
            yield from model_texts(widget)


def visible_texts() -> list[str]:
    """Every text a person at the screen could read: all visible windows of the application
    and their visible widgets."""
    texts: list[str] = []
    for top in QApplication.topLevelWidgets():
        if not top.isVisible():
            continue
        for widget in [top, *top.findChildren(QWidget)]:
            if widget.isVisible():
                texts.extend(t for t in widget_texts(widget) if t)
    return texts


def shown(texts: list[str], number: str = NUMBER, name: str = NAME) -> list[str]:
    return [t for t in texts if any(needle in t for needle in needles(number, name))]


@pytest.fixture
def started(user: UserSession) -> UserSession:
    user.start_sync()
    return user


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_idle_lock_is_ten_minutes_by_default(settings) -> None:
    assert settings.idle_lock_minutes == IDLE_MINUTES


@pytest.fixture
def window(qtbot, services, started, clock) -> MainWindow:
    window = MainWindow(services, started)
    qtbot.addWidget(window)
    window.locker.use_clock(clock)
    window.show()
    qtbot.waitExposed(window)
    return window


def patient_draft(user: UserSession, number: str = NUMBER, name: str = NAME) -> str:
    record = user.drafts.new_draft(
        "breast", "assessment", {"patient_id": number, "patient_name": name}, session=user.session
    )
    return record.id


def submit_report(user: UserSession, seed: int = 5) -> str:
    record = user.drafts.new_draft("breast", "assessment", session=user.session)
    _, definition = user.drafts.open(record.id)
    values = example_values(definition, random.Random(seed))
    issues = user.drafts.submit(record.id, values)
    assert not [issue for issue in issues if issue.severity == "error"], issues
    return record.id


def _column(user: UserSession, message_id: str, column: str) -> object:
    # The plain columns: values and body need the data key, which the lock has dropped.
    with user.cache.engine.connect() as conn:
        return conn.execute(
            select(messages.c[column]).where(messages.c.id == message_id)
        ).scalar_one()


def state_of(user: UserSession, message_id: str) -> object:
    return _column(user, message_id, "state")


def attempts_of(user: UserSession, message_id: str) -> int:
    return int(_column(user, message_id, "attempts"))  # type: ignore[call-overload]


def go_idle(window: MainWindow, clock: FakeClock) -> None:
    clock.advance(IDLE_MINUTES * 60 + 1)
    assert window.locker.idle.check()


def unlock(qtbot, window: MainWindow, password: str) -> None:
    page = window.locker.page
    assert page is not None
    page.password_edit.clear()
    qtbot.keyClicks(page.password_edit, password)
    qtbot.mouseClick(page.unlock_button, Qt.MouseButton.LeftButton)


def test_idle_lock_hides_every_patient_datum_and_asks_for_the_password(
    qtbot, window, user, clock
) -> None:
    draft = patient_draft(user)
    other = patient_draft(user, generate_identity_number(random.Random(7)), "Annen Pasient")
    window.show_page(MainWindow.DRAFTS)
    qtbot.waitUntil(lambda: window.drafts_model.rowCount() == 2, timeout=5000)
    window.open_draft(draft)
    qtbot.waitUntil(lambda: window.editor is not None, timeout=5000)
    # A message box of the application naming the patient (as a receipt preview would).
    box = QMessageBox(QMessageBox.Icon.Information, "Receipt", f"Receipt for {NAME}", parent=window)
    box.open()
    before = visible_texts()
    assert shown(before), "control: the patient is on the screen before the lock"
    assert any(NUMBER in t for t in before) and any(NAME in t for t in before)

    go_idle(window, clock)

    assert window.locker.is_locked and window.locker.reason is LockReason.IDLE
    qtbot.waitUntil(lambda: user.locked, timeout=5000)  # on the cache worker
    after = visible_texts()
    assert shown(after) == []
    assert shown(after, generate_identity_number(random.Random(7)), "Annen Pasient") == []
    assert not box.isVisible()
    assert window.editor is None and window.locker.reopen_draft == draft
    assert window.windowTitle() == "Locked — Cancer Registry Reporting"  # once, not twice
    assert window.drafts_model.rowCount() == 0 and window.outbox_model.rowCount() == 0
    assert window.locker.page is not None and window.locker.page.isVisible()
    assert "10 minutes" in window.locker.page.reason_label.text()
    with pytest.raises(CacheLocked):
        user.drafts.open(other)
    # Still nothing after the events of a sync pass have come and gone.
    user.send_now()
    qtbot.wait(500)
    assert shown(visible_texts()) == []
    assert window.drafts_model.rowCount() == 0


def test_wrong_password_stays_locked_the_right_one_shows_the_data_again(
    qtbot, window, user, clock
) -> None:
    draft = patient_draft(user)
    window.open_draft(draft)
    qtbot.waitUntil(lambda: window.editor is not None, timeout=5000)
    go_idle(window, clock)
    page = window.locker.page

    unlock(qtbot, window, "not-the-password")
    qtbot.waitUntil(lambda: "Wrong password" in page.message_label.text(), timeout=10000)
    assert window.locker.is_locked and user.locked
    assert page.password_edit.text() == ""
    assert shown(visible_texts()) == []

    # Guessing on: after the free guesses, a wait that only the clock's moving ends.
    unlock(qtbot, window, "guess-2")
    qtbot.waitUntil(lambda: window.locker.throttle.failures == 2, timeout=10000)
    unlock(qtbot, window, "guess-3")
    qtbot.waitUntil(lambda: window.locker.throttle.failures == 3, timeout=10000)
    assert "try again in" in page.message_label.text()
    qtbot.keyClicks(page.password_edit, DEMO_PASSWORD)  # refused while the wait runs
    assert page.password_edit.text() == "" and not page.unlock_button.isEnabled()
    clock.advance(window.locker.throttle.wait_s())
    qtbot.waitUntil(lambda: not page.password_edit.isReadOnly(), timeout=2000)

    unlock(qtbot, window, DEMO_PASSWORD)
    qtbot.waitUntil(lambda: not window.locker.is_locked, timeout=10000)
    assert not user.locked
    qtbot.waitUntil(lambda: window.editor is not None, timeout=5000)  # read on the cache worker
    assert window.editor.message_id == draft
    qtbot.waitUntil(lambda: any(NAME in t for t in visible_texts()), timeout=5000)
    assert window.windowTitle() == "Cancer Registry Reporting"
    assert window.menuBar().isVisible() and window.statusBar().isVisible()
    window.show_page(MainWindow.DRAFTS)
    qtbot.waitUntil(lambda: window.drafts_model.rowCount() == 1, timeout=5000)
    # The idle time counts anew.
    assert not window.locker.idle.check()
    go_idle(window, clock)
    assert window.locker.is_locked


def test_the_outbox_is_sent_while_locked(qtbot, window, started, server, clock) -> None:
    user = started
    server.stop()
    message_id = submit_report(user)
    user.send_now()
    qtbot.waitUntil(lambda: attempts_of(user, message_id) >= 1, timeout=10000)
    go_idle(window, clock)
    qtbot.waitUntil(lambda: user.locked, timeout=5000)

    server.start()
    qtbot.waitUntil(lambda: state_of(user, message_id) == MessageState.RECEIPTED, timeout=20000)
    assert user.cache.messages.count_unsent(user.owner) == 0
    assert window.locker.is_locked
    assert window.outbox_model.rowCount() == 0  # received while locked, shown only after


def test_typing_is_kept_when_the_lock_comes_before_the_autosave(
    qtbot, make_services, settings, started, clock
) -> None:
    # The debounce never fires in this test: only the lock's flush can save the typing.
    services = make_services(replace(settings, autosave_debounce_ms=600_000))
    user = started
    window = MainWindow(services, user)
    qtbot.addWidget(window)
    window.locker.use_clock(clock)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    draft = patient_draft(user)
    window.open_draft(draft)
    qtbot.waitUntil(lambda: window.editor is not None, timeout=5000)
    edit = window.editor.form.field_widget("institution_name").edit
    edit.setFocus()
    qtbot.keyClicks(edit, "Lock ward 7")

    # Through the window system, as a real key press: QTest's widget path skips shortcuts.
    qtbot.keyClick(window.windowHandle(), Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.locker.is_locked and window.locker.reason is LockReason.USER
    assert shown(visible_texts()) == [] and not any("Lock ward 7" in t for t in visible_texts())

    unlock(qtbot, window, DEMO_PASSWORD)
    qtbot.waitUntil(lambda: not window.locker.is_locked, timeout=10000)
    qtbot.waitUntil(lambda: window.editor is not None, timeout=5000)
    reopened = window.editor.form.field_widget("institution_name").edit
    assert reopened.text() == "Lock ward 7"
    record, _ = user.drafts.open(draft)
    assert record.values["institution_name"] == "Lock ward 7"


def test_input_keeps_the_window_open(qtbot, window, clock) -> None:
    for _ in range(5):
        clock.advance(IDLE_MINUTES * 60 - 5)
        qtbot.mouseClick(window.navigation, Qt.MouseButton.LeftButton)
        assert not window.locker.idle.check()
    qtbot.keyClick(window.navigation, Qt.Key.Key_Down)
    clock.advance(IDLE_MINUTES * 60 - 1)
    assert not window.locker.idle.check()
    assert not window.locker.is_locked


def test_zero_minutes_never_locks(qtbot, make_services, settings, user, clock) -> None:
    services = make_services(replace(settings, idle_lock_minutes=0))
    window = MainWindow(services, user)
    qtbot.addWidget(window)
    window.locker.use_clock(clock)
    window.show()
    clock.advance(10**6)
    assert not window.locker.idle.check()
    qtbot.wait(50)
    assert not window.locker.is_locked
    window.locker.lock_action.trigger()  # the user's lock still works
    assert window.locker.is_locked


def test_lock_action_is_in_the_menu_and_toolbar(window) -> None:
    action = window.locker.lock_action
    assert action.shortcut().toString() == "Ctrl+L"
    menus = [entry.menu() for entry in window.menuBar().actions() if entry.menu()]
    assert any(action in menu.actions() for menu in menus)
    assert any(action in bar.actions() for bar in window.findChildren(QToolBar))


@pytest.fixture
def shell(shell: AppShell, clock: FakeClock) -> AppShell:
    """The session loop of ui_shell/conftest.py, its lock on the test's clock."""
    assert shell.window is not None
    shell.window.locker.use_clock(clock)
    return shell


def test_sign_in_as_someone_else_ends_the_session(qtbot, shell, services, clock) -> None:
    window, user = shell.window, shell.user
    assert window is not None and user is not None
    draft = patient_draft(user)
    window.open_draft(draft)
    qtbot.waitUntil(lambda: window.editor is not None, timeout=5000)
    go_idle(window, clock)
    page = window.locker.page
    assert page is not None and "sent when Demo Doctor" in page.switch_label.text()

    qtbot.mouseClick(page.switch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shell.dialog is not None and shell.dialog.isVisible(), timeout=10000)
    assert user.ended and user.sync is None
    assert shell.window is None and not (shiboken6.isValid(window) and window.isVisible())
    assert shown(visible_texts()) == []
    # The next clinician types their own name; the first one's is not offered.
    assert shell.dialog.username_edit.text() == ""
    # The clinician's draft is still on this computer, for their next sign-in.
    again = sign_in(services, DEMO_USER, DEMO_PASSWORD)
    assert isinstance(again, UserSession)
    try:
        assert again.drafts.open(draft)[0].values["patient_name"] == NAME
    finally:
        again.end()


def test_the_next_clinician_sees_nothing_of_the_first(qtbot, shell, services, clock) -> None:
    """User B signs in on the same PC, OS account and data folder after A locked: no list,
    page or duplicate warning shows A's patient; B's own report of that patient is new."""
    window, user = shell.window, shell.user
    assert window is not None and user is not None
    patient_draft(user)
    go_idle(window, clock)
    qtbot.mouseClick(window.locker.page.switch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shell.dialog is not None and shell.dialog.isVisible(), timeout=10000)

    qtbot.keyClicks(shell.dialog.username_edit, "bergen")
    qtbot.keyClicks(shell.dialog.password_edit, DEMO_PASSWORD)
    shell.dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: shell.window is not None and shell.window.isVisible(), timeout=10000)
    other = shell.window
    other.closed.disconnect()
    assert shell.user is not None and shell.user.owner == "bergen"
    with qtbot.waitSignal(other.drafts_reload.loaded, timeout=10000):
        other.drafts_reload.schedule()  # a list read from the cache, not one still empty
    assert other.drafts_model.rowCount() == 0
    assert shown(visible_texts()) == []

    # B starts a report of A's patient: no warning about A's draft, a new draft opens.
    other.show_page(MainWindow.NEW_REPORT)
    view = other.new_report_view
    assert view.select("breast", "assessment")
    qtbot.keyClicks(view.patient_step.number_edit, NUMBER)
    view.create_button.click()
    qtbot.waitUntil(lambda: other.editor is not None, timeout=5000)
    assert view.existing_box is None
    assert [d.owner for d in shell.user.cache.messages.list(None)] == ["bergen"]
