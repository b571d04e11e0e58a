"""What the clinician expects without asking: new drafts know who reports from where, and the
confirmations after Submit, saving a receipt or an offline sign-in can be read in full."""

from __future__ import annotations

import random
from datetime import date

import pytest
from PySide6.QtWidgets import QApplication

from desktop_app.forms.examples import example_values
from desktop_app.forms.identity import generate_identity_number
from ui.main_window import MainWindow
from ui.status_bar import StatusBar

from .conftest import sign_in_user

pytestmark = pytest.mark.gui

PREFILLED = ("region", "hospital", "reporter_name", "report_date")


@pytest.fixture
def window(qtbot, services, user) -> MainWindow:
    user.start_sync()
    window = MainWindow(services, user)
    qtbot.addWidget(window)
    window.show()
    window.resize(1100, 720)  # the default size, whatever an earlier test saved
    return window


def message_room(status: StatusBar) -> int:
    """Pixels a transient message gets: QStatusBar draws it left of the first visible
    permanent field (QStatusBarPrivate::messageRect)."""
    status.layout().activate()
    QApplication.processEvents()
    right = status.width() - 12
    for label in (
        status.user_label,
        status.connection_label,
        status.unsent_label,
        status.last_sync_label,
    ):
        if label.isVisible():
            right = label.x() - 2
            break
    return right - 6


def assert_message_fits(status: StatusBar) -> None:
    message = status.currentMessage()
    assert message
    assert status.fontMetrics().horizontalAdvance(message) <= message_room(status), message


def test_a_new_report_starts_with_institution_reporter_and_date(
    qtbot, window, services, session
) -> None:
    window.show_page(MainWindow.NEW_REPORT)
    view = window.new_report_view
    assert view.select("breast", "assessment")
    qtbot.keyClicks(view.patient_step.number_edit, generate_identity_number(random.Random(5)))
    view.create_button.click()
    qtbot.waitUntil(lambda: window.editor is not None, timeout=5000)

    values = window.editor.form.values()
    # The demo user works at Ullevål (0320), which the hospitals list puts in region 1.
    assert (values["region"], values["hospital"]) == ("1", "0320")
    assert values["reporter_name"] == session.display_name
    assert values["report_date"] == date.today().isoformat()
    assert values["department"] == "surgery"  # the unit's (desktop_app.prefill)
    assert not values.get("reporter_hpr")
    issues = window.editor.form.issues()
    assert [i for i in issues if i.path in PREFILLED] == []


def test_a_reminder_draft_keeps_the_reminder_patient_and_gets_the_envelope(
    qtbot, window, services, user, session
) -> None:
    patient = generate_identity_number(random.Random(8))
    reminder = {
        "registry": "breast",
        "form": "surgery",
        "patient_id": patient,
        "patient_name": "Fiktiv, Kari",
    }

    window.create_draft_for_reminder(reminder)
    qtbot.waitUntil(lambda: window.editor is not None, timeout=5000)  # made off the GUI thread

    values = user.cache.messages.get(window.editor.message_id).values
    assert values["patient_id"] == patient and values["patient_name"] == "Fiktiv, Kari"
    assert (values["region"], values["hospital"]) == ("1", "0320")
    assert values["reporter_name"] == session.display_name


def test_after_submit_the_outbox_page_says_so_in_full(
    qtbot, window, services, user, session
) -> None:
    record = user.drafts.new_draft("breast", "assessment", session=session)
    _, definition = user.drafts.open(record.id)
    user.cache.messages.save_values(record.id, example_values(definition, random.Random(3)))
    with qtbot.waitSignal(window.draftOpened, timeout=5000):
        window.open_draft(record.id)

    with qtbot.waitSignal(window.editor.submitted, timeout=5000):
        assert window.editor.submit()

    assert window.stack.currentWidget() is window.outbox_view
    notice = window.outbox_view.notice
    assert notice.isVisible()
    assert notice.text().startswith("Report submitted. It is in the outbox")
    assert window.status.currentMessage() == "Report submitted."
    assert_message_fits(window.status)

    # Leaving the page and coming back: the notice was about that moment only.
    window.show_page(MainWindow.DRAFTS)
    window.show_page(MainWindow.OUTBOX)
    assert not notice.isVisible()


def test_the_status_bar_makes_room_for_a_message_and_gives_it_back(window) -> None:
    status = window.status
    status.clearMessage()
    assert status.user_label.isVisible() and status.last_sync_label.isVisible()
    long_message = "Receipt saved: receipt-0b9f7d3e-7c44-4e5e-9a2d-3f1b8c5a6e21.pdf"
    status.showMessage(long_message)
    assert_message_fits(status)
    assert status.connection_label.isVisible() and status.unsent_label.isVisible()

    status.clearMessage()
    assert status.user_label.isVisible() and status.last_sync_label.isVisible()


def test_offline_sign_in_notice_is_readable(qtbot, services, session, server) -> None:
    # The online sign-in (fixture) left a local verifier; without the server it is used.
    server.stop()
    offline = sign_in_user(services)
    assert offline.session.offline
    window = MainWindow(services, offline)
    qtbot.addWidget(window)
    window.show()
    window.resize(1100, 720)

    assert window.status.currentMessage().startswith("Signed in offline")
    assert_message_fits(window.status)
    assert window.status.connection_label.text() == "Offline"
