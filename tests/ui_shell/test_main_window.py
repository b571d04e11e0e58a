"""The main window against the real server: navigation, status bar, drafts, outbox."""

from __future__ import annotations

import random

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_app.forms.identity import generate_identity_number
from local_cache import MessageState
from ui.main_window import MainWindow

from .conftest import queue_valid_report

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, services, user) -> MainWindow:
    user.start_sync()
    window = MainWindow(services, user)
    qtbot.addWidget(window)
    window.show()
    return window


def test_title_and_the_six_navigation_entries(window) -> None:
    assert window.windowTitle() == "Cancer Registry Reporting"
    entries = [window.navigation.item(i).text() for i in range(window.navigation.count())]
    assert entries == ["New report", "Drafts", "Outbox", "Receipts", "Reminders", "Statistics"]
    for row, view in enumerate(
        [
            window.new_report_view,
            window.drafts_view,
            window.outbox_view,
            window.receipts_view,
            window.reminders_view,
            window.statistics_page,
        ]
    ):
        window.navigation.setCurrentRow(row)
        assert window.stack.currentWidget() is view


def test_status_bar_shows_user_online_then_offline_with_unsent_count(
    qtbot, window, services, session, server
) -> None:
    status = window.status
    assert "Demo Doctor" in status.user_label.text()
    assert "Breast and endocrine surgery" in status.user_label.text()
    qtbot.waitUntil(lambda: status.connection_label.text() == "Online", timeout=10000)
    assert status.unsent_label.text() == "0 unsent"
    assert "not yet" not in status.last_sync_label.text()

    server.stop()
    queue_valid_report(window.user)
    window.send_now()
    qtbot.waitUntil(lambda: status.connection_label.text() == "Offline", timeout=10000)
    qtbot.waitUntil(lambda: status.unsent_label.text() == "1 unsent", timeout=10000)
    assert "cannot be reached" in status.connection_label.toolTip()

    window.show_page(MainWindow.OUTBOX)
    outbox = window.outbox_model
    qtbot.waitUntil(lambda: outbox.rowCount() == 1, timeout=5000)
    record = outbox.row_at(0)
    assert record.state in (MessageState.QUEUED, MessageState.SENDING)
    qtbot.waitUntil(
        lambda: outbox.rowCount() == 1 and outbox.row_at(0).attempts >= 1, timeout=10000
    )
    error = outbox.data(outbox.index(0, outbox.COL_ERROR))
    assert "cannot be reached" in error


def test_send_now_delivers_the_outbox_once_the_server_is_back(
    qtbot, window, services, session, server
) -> None:
    status = window.status
    qtbot.waitUntil(lambda: status.connection_label.text() == "Online", timeout=10000)
    server.stop()
    queue_valid_report(window.user)
    window.send_now()
    qtbot.waitUntil(lambda: status.connection_label.text() == "Offline", timeout=10000)
    server.start()
    window.send_now_action.trigger()
    qtbot.waitUntil(lambda: status.unsent_label.text() == "0 unsent", timeout=10000)
    # The receipts page reloads in the background (as row changes, not a reset) and its
    # summary follows the rows that arrived.
    window.show_page(MainWindow.RECEIPTS)
    qtbot.waitUntil(lambda: window.receipts_model.rowCount() == 1, timeout=10000)
    assert window.receipts_view.summary.text().startswith("1 receipt")
    assert status.connection_label.text() == "Online"


def test_drafts_view_masks_the_patient_and_deletes_after_confirmation(qtbot, window, user) -> None:
    patient_id = generate_identity_number(random.Random(7))
    record = user.drafts.new_draft("breast", "assessment")
    user.cache.messages.save_values(record.id, {"patient_id": patient_id})
    window.show_page(MainWindow.DRAFTS)
    view, model = window.drafts_view, window.drafts_model
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=5000)
    shown = model.data(model.index(0, model.COL_PATIENT))
    assert shown == patient_id[:6] + "*****"
    assert model.data(model.index(0, model.COL_REGISTRY)) == "Breast cancer"

    view.table.selectRow(0)
    _answer_next_message_box(qtbot, QMessageBox.StandardButton.No)
    view.delete_button.click()
    assert model.rowCount() == 1

    _answer_next_message_box(qtbot, QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(view.draftDeleted, timeout=5000):
        view.delete_button.click()
    assert model.rowCount() == 0
    with pytest.raises(KeyError):
        user.cache.messages.get(record.id)


def _answer_next_message_box(qtbot, button: QMessageBox.StandardButton) -> None:
    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer)
            return
        box.button(button).click()

    QTimer.singleShot(0, answer)


def test_new_report_creates_a_draft_and_opens_the_form(qtbot, window, user) -> None:
    window.show_page(MainWindow.NEW_REPORT)
    view = window.new_report_view
    assert view.registry_list.text_of("breast") == "Breast cancer"
    assert view.select("breast", "assessment")
    qtbot.keyClicks(view.patient_step.number_edit, generate_identity_number(random.Random(5)))
    view.create_button.click()
    qtbot.waitUntil(lambda: window.editor is not None, timeout=5000)
    assert window.stack.currentWidget() is window.editor
    drafts = user.cache.messages.list(None, [MessageState.DRAFT])
    assert [d.registry for d in drafts] == ["breast"]

    window.show_page(MainWindow.DRAFTS)
    qtbot.waitUntil(lambda: window.drafts_model.rowCount() == 1, timeout=5000)
    # Every page, the form's included, paints its own background: on X11 a transparent page
    # let the page shown before it show through (only visible on a real display).
    pages = [window.stack.widget(i) for i in range(window.stack.count())]
    assert window.editor in pages and all(page.autoFillBackground() for page in pages)


def test_the_first_page_is_drafts_once_they_are_read(qtbot, services, user) -> None:
    user.drafts.new_draft("breast", "assessment")
    window = MainWindow(services, user)
    qtbot.addWidget(window)
    assert window.navigation.currentRow() == MainWindow.NEW_REPORT  # nothing read yet
    qtbot.waitSignal(window.firstLoadDone, timeout=5000).wait()
    assert window.navigation.currentRow() == MainWindow.DRAFTS


def test_sign_out_ends_the_session_keeps_the_services_and_forgets_the_token(
    qtbot, shell, services
) -> None:
    user = shell.user
    engine = user.sync
    assert engine is not None and engine.running
    assert user.session.token() is not None
    shell.window.sign_out_action.trigger()
    qtbot.waitUntil(lambda: shell.dialog is not None and shell.dialog.isVisible(), timeout=10000)
    assert shell.window is None and shell.user is None
    assert user.ended and not engine.running
    assert user.session.token() is None
    # The cache is still open for the next person to sign in.
    assert services.cache.messages.count_unsent(user.owner) == 0


def test_quit_ends_the_session(qtbot, shell) -> None:
    user, window = shell.user, shell.window
    engine = user.sync
    with qtbot.waitSignal(window.closed, timeout=5000):
        window.quit_action.trigger()
    shell.finish()
    assert user.ended and not engine.running
    # Quitting a shared PC's app is leaving it: no token stays in the keyring.
    assert user.session.token() is None


def test_rejected_token_asks_to_sign_in_again(qtbot, shell, server) -> None:
    window, session = shell.window, shell.user.session
    status = window.status
    qtbot.waitUntil(lambda: status.connection_label.text() == "Online", timeout=10000)
    assert server.expire_tokens(session.username) >= 1
    window.send_now()
    qtbot.waitUntil(
        lambda: window.findChild(QMessageBox, "signInRequiredBox") is not None, timeout=10000
    )
    box = window.findChild(QMessageBox, "signInRequiredBox")
    assert "Sign in again" in box.text()
    assert status.connection_label.text() == "Offline"
    with qtbot.waitSignal(window.signedOut, timeout=5000):
        next(b for b in box.buttons() if b.text() == "Sign out now").click()
    qtbot.waitUntil(lambda: shell.dialog is not None, timeout=10000)
    assert session.token() is None
