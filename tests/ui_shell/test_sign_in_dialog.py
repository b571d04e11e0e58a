"""The sign-in dialog against the real server: errors in plain words, offline sign-in, and a
password changed since the last sign-in on this computer."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QMessageBox, QPushButton

from desktop_app.user_session import UserSession
from ui.sign_in_dialog import SignInDialog

from .conftest import DEMO_PASSWORD, DEMO_USER, queue_valid_report, sign_in_user

pytestmark = pytest.mark.gui


def _dialog(qtbot, services, username: str = DEMO_USER) -> SignInDialog:
    dialog = SignInDialog(services, username)
    qtbot.addWidget(dialog)
    # Every clinician signed in here is ended after the test.
    dialog.signedIn.connect(lambda user: _ended.append(user))
    dialog.show()
    return dialog


_ended: list[UserSession] = []


@pytest.fixture(autouse=True)
def _end_users():
    yield
    while _ended:
        _ended.pop().end()


def _sign_in(qtbot, dialog: SignInDialog, password: str) -> None:
    dialog.password_edit.clear()
    qtbot.keyClicks(dialog.password_edit, password)
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)


def test_shows_the_server_and_prefills_the_username(qtbot, services) -> None:
    dialog = _dialog(qtbot, services)
    assert dialog.server_label.text() == services.settings.server_url
    assert dialog.username_edit.text() == DEMO_USER


def test_wrong_password_is_said_in_plain_words(qtbot, services) -> None:
    dialog = _dialog(qtbot, services)
    _sign_in(qtbot, dialog, "not-the-password")
    # Busy while the request is out: the button cannot be pressed twice.
    assert not dialog.sign_in_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=10000)
    assert dialog.error_label.text() == "Wrong username or password."
    assert dialog.sign_in_button.isEnabled()
    assert dialog.user is None
    assert dialog.result() != QDialog.DialogCode.Accepted


def test_empty_password_is_refused_without_asking_the_server(qtbot, services) -> None:
    dialog = _dialog(qtbot, services)
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    assert dialog.error_label.text() == "Enter your username and password."
    assert dialog.sign_in_button.isEnabled()


def test_correct_password_signs_in_online(qtbot, services) -> None:
    dialog = _dialog(qtbot, services)
    with qtbot.waitSignal(dialog.signedIn, timeout=10000) as signal:
        _sign_in(qtbot, dialog, DEMO_PASSWORD)
    user = signal.args[0]
    assert isinstance(user, UserSession) and user is dialog.user
    session = user.session
    assert not session.offline and not user.locked
    assert session.unit["name"] == "Breast and endocrine surgery"
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.password_edit.text() == ""


def test_unreachable_server_without_an_earlier_sign_in(qtbot, services, server) -> None:
    server.stop()
    dialog = _dialog(qtbot, services)
    _sign_in(qtbot, dialog, DEMO_PASSWORD)
    qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=10000)
    text = dialog.error_label.text()
    assert "cannot be reached" in text
    assert "not signed in on this computer before" in text
    assert dialog.user is None


def test_offline_sign_in_after_an_earlier_online_one(qtbot, services, server) -> None:
    sign_in_user(services).end()  # leaves the local verifier and this computer's keys
    server.stop()
    dialog = _dialog(qtbot, services)
    with qtbot.waitSignal(dialog.signedIn, timeout=10000) as signal:
        _sign_in(qtbot, dialog, DEMO_PASSWORD)
    session = signal.args[0].session
    assert session.offline
    assert "cannot be reached" in session.notice


EARLIER = "an-earlier-password"


def _keys_sealed_under_an_earlier_password(services) -> tuple[str, str]:
    """A draft and a submitted report made here, then this computer's keys sealed under
    another password than the server's (as if it was changed elsewhere since)."""
    user = sign_in_user(services)
    draft = user.drafts.new_draft("breast", "assessment", {"comment": "kept?"})
    queued = queue_valid_report(user)
    services.cache.user_keys.rewrap(user.session.server_url, user.owner, EARLIER, user.codec.keys)
    user.end()
    return draft.id, queued


def _password_changed_page(qtbot, services):
    dialog = _dialog(qtbot, services)
    _sign_in(qtbot, dialog, DEMO_PASSWORD)
    page = dialog.changed_page
    qtbot.waitUntil(lambda: page.isVisible(), timeout=10000)
    return dialog, page


def test_a_changed_password_asks_for_the_previous_one_and_keeps_the_drafts(
    qtbot, services
) -> None:
    draft_id, _queued = _keys_sealed_under_an_earlier_password(services)
    dialog, page = _password_changed_page(qtbot, services)
    title = page.findChild(QLabel, "passwordChangedTitle")
    assert title.text() == "Your password has changed since you last signed in on this computer."

    qtbot.keyClicks(page.previous_edit, "not-it-either")
    page.keep_button.click()
    qtbot.waitUntil(lambda: page.error_label.isVisible(), timeout=10000)
    assert "not the previous password" in page.error_label.text()

    page.previous_edit.clear()
    qtbot.keyClicks(page.previous_edit, EARLIER)
    with qtbot.waitSignal(dialog.signedIn, timeout=10000) as signal:
        page.keep_button.click()
    user = signal.args[0]
    record, _definition = user.drafts.open(draft_id)
    assert record.values["comment"] == "kept?"
    assert dialog.drafts_lost is None
    # From now on the new password opens them, offline too.
    user.lock()
    assert user.unlock(DEMO_PASSWORD)


def test_continuing_without_the_drafts_warns_then_says_how_many_were_lost(
    qtbot, services
) -> None:
    draft_id, queued_id = _keys_sealed_under_an_earlier_password(services)
    dialog, page = _password_changed_page(qtbot, services)
    box = page.ask_start_over()
    assert "deleted for good" in box.text()
    cancel = next(b for b in box.buttons() if b.text() == "Cancel")
    cancel.click()
    assert dialog.drafts_lost is None and page.isVisible()  # nothing happened

    box = page.ask_start_over()
    box.findChild(QPushButton, "confirmStartOver").click()
    qtbot.waitUntil(lambda: dialog.lost_box is not None, timeout=10000)
    lost_box: QMessageBox = dialog.lost_box
    assert dialog.drafts_lost == 1
    assert lost_box.text() == "1 draft(s) on this computer could not be opened and were deleted."
    with qtbot.waitSignal(dialog.signedIn, timeout=5000) as signal:
        lost_box.button(QMessageBox.StandardButton.Ok).click()
    user = signal.args[0]
    ids = [r.id for r in user.cache.messages.list(None)]
    assert draft_id not in ids
    if page.can_recover_outbox:  # the registry's escrow copy of the outbox key was there
        assert queued_id in ids

