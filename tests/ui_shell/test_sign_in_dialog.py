"""The sign-in dialog against the real server: errors in plain words, offline sign-in."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from ui.sign_in_dialog import SignInDialog

from .conftest import DEMO_PASSWORD, DEMO_USER

pytestmark = pytest.mark.gui


def _dialog(qtbot, services, username: str = DEMO_USER) -> SignInDialog:
    dialog = SignInDialog(services.sessions, services.settings.server_url, username)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


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
    assert dialog.session is None
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
    session = signal.args[0]
    assert session is dialog.session
    assert not session.offline
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
    assert dialog.session is None


def test_offline_sign_in_after_an_earlier_online_one(qtbot, services, server) -> None:
    services.sessions.sign_in(DEMO_USER, DEMO_PASSWORD)  # leaves the local verifier
    server.stop()
    dialog = _dialog(qtbot, services)
    with qtbot.waitSignal(dialog.signedIn, timeout=10000) as signal:
        _sign_in(qtbot, dialog, DEMO_PASSWORD)
    session = signal.args[0]
    assert session.offline
    assert "cannot be reached" in session.notice
