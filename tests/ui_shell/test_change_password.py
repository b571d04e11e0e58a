"""Change password from the app: the server changes it, this computer's keys are sealed under
the new one, the drafts stay readable, and the next sign-in (online or offline) takes only the
new password. Real server, real cache, real dialog offscreen."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox

from desktop_app.app import Services
from desktop_app.user_session import UserSession
from tests.ui_shell.conftest import sign_in_user
from ui.change_password_dialog import ChangePasswordDialog

NEW = "a new password 2026"


def _fill(dialog: ChangePasswordDialog, current: str, new: str, repeat: str) -> None:
    dialog.current_edit.setText(current)
    dialog.new_edit.setText(new)
    dialog.repeat_edit.setText(repeat)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def test_changing_the_password_keeps_the_drafts_under_the_new_one(
    qtbot, services: Services, user: UserSession
) -> None:
    draft = user.drafts.new_draft("breast", "assessment", {"patient_name": "Kari Testdata"})
    dialog = ChangePasswordDialog(user, services.api)
    qtbot.addWidget(dialog)
    dialog.show()
    field_height = dialog.new_edit.sizeHint().height()

    _fill(dialog, "demo", NEW, "a different repetition")
    assert "differ" in dialog.message_label.text()
    for current, new in (("not the password", NEW), ("demo", "short")):
        _fill(dialog, current, new, new)  # the server's sentences: wrong current, too short
        qtbot.waitUntil(
            lambda: dialog.current_edit.isEnabled() and bool(dialog.message_label.text()),
            timeout=10_000,
        )
        assert dialog.result() != dialog.DialogCode.Accepted
        # A long sentence makes the dialog taller; the fields keep their height.
        assert dialog.new_edit.height() >= field_height, dialog.message_label.text()
    assert "10" in dialog.message_label.text()  # says how long a password must be

    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        _fill(dialog, "demo", NEW, NEW)

    # The keys here open with the new password only, offline too; the draft is still there.
    assert not user.unlock("demo")
    user.lock()
    assert user.unlock(NEW)
    assert user.cache.messages.get(draft.id).values["patient_name"] == "Kari Testdata"
    user.end()
    services.sessions.sign_out(user.session)
    again = sign_in_user(services, password=NEW)
    assert again.cache.messages.get(draft.id).values["patient_name"] == "Kari Testdata"
    again.end()


def test_change_password_is_in_the_file_menu(qtbot, services: Services, user: UserSession) -> None:
    from ui.main_window import MainWindow

    window = MainWindow(services, user)
    qtbot.addWidget(window)
    assert window.change_password_action in window.menuBar().actions()[0].menu().actions()
    window.change_password_action.trigger()
    dialog = window.findChild(ChangePasswordDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.reject()
