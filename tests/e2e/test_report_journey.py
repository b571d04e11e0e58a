"""End to end: the real main window against the real registry server on loopback TLS.

Everything is real: the server (uvicorn + SQLite, trustme certificate), the client's services
built by the composition root, its SQLite cache, the file keyring, the widgets (offscreen).
The user's actions go through the widgets: typing, clicking, choosing pages.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt

from desktop_app.app import Services, build_services
from desktop_app.forms import example_values, generate_identity_number
from local_cache import MessageState
from tests.support.client_settings import settings_for_tests
from tests.support.live_server import LiveServer
from ui.application import AppShell
from ui.draft_editor import DraftEditor
from ui.main_window import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(tmp_path / "server") as live:
        yield live


@pytest.fixture
def launch(tmp_path: Path, server: LiveServer, qtbot) -> Iterator[Callable[[], AppShell]]:
    """Start the client as `run()` does (sign-in dialog first), on one data folder."""
    shells: list[AppShell] = []

    def start() -> AppShell:
        settings = settings_for_tests(
            server,
            tmp_path / "client",
            sync_interval_s=60.0,  # the timer pass stays out of the way ...
            retry_interval_s=0.3,  # ... but an offline client retries quickly by itself
            autosave_debounce_ms=50,
        )
        services: Services = build_services(settings)
        shell = AppShell(services, username="demo")
        shell.start()
        shells.append(shell)
        return shell

    yield start
    for shell in shells:
        if shell.window is not None:
            shell.window.close()
        shell.finish()  # ends the session, as ui.application.run does at quit
        shell.services.shutdown()


def sign_in(qtbot, shell: AppShell, password: str = "demo") -> MainWindow:
    dialog = shell.dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.password_edit, password)
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shell.window is not None and shell.window.isVisible(), timeout=10000)
    return shell.window


def new_breast_assessment(qtbot, window: MainWindow) -> DraftEditor:
    """Through the new report page: registry, form, a synthetic patient, Create draft."""
    window.show_page(MainWindow.NEW_REPORT)
    view = window.new_report_view
    assert view.select("breast", "assessment")
    number = generate_identity_number(random.Random(11))
    qtbot.keyClicks(view.patient_step.number_edit, number)
    qtbot.mouseClick(view.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.editor is not None, timeout=5000)
    return window.editor


def fill_valid_answers(editor: DraftEditor, skip: set[str]) -> dict:
    """Answer every field with a valid value, as the user would one field after another."""
    values = example_values(editor.definition, random.Random(7))
    for field in editor.definition.fields():
        if field.id in values and field.id not in skip:
            widget = editor.form.field_widget(field.id)
            widget.set_value(values[field.id])
            widget.changed.emit()  # what the widget emits when the user edits it
    return values


def type_identity_number(qtbot, editor: DraftEditor, number: str) -> None:
    edit = editor.form.field_widget("patient_id").focus_widget()
    edit.clear()
    qtbot.keyClicks(edit, number)


def test_report_from_keystroke_to_printed_receipt(qtbot, launch, server, tmp_path):
    window = sign_in(qtbot, launch())
    qtbot.waitUntil(lambda: window.status.connection_label.text() == "Online", timeout=10000)

    editor = new_breast_assessment(qtbot, window)
    # Who reports from where is known from the sign-in (the demo user works at Ullevål).
    first = editor.form.values()
    assert (first["region"], first["hospital"]) == ("1", "0320")
    assert first["reporter_name"] == window.session.display_name
    values = fill_valid_answers(editor, skip={"patient_id"})

    # A wrong check digit: the field says so, the summary lists it, Submit is refused.
    good = values["patient_id"]
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    type_identity_number(qtbot, editor, bad)
    field_issue = editor.form.field_widget("patient_id")._issue_label
    qtbot.waitUntil(field_issue.isVisible)
    assert "check digits do not match" in field_issue.text()
    assert any(issue.path == "patient_id" for issue in editor.form.issues())
    qtbot.mouseClick(editor.submit_button, Qt.MouseButton.LeftButton)
    assert window.editor is editor, "an invalid report must not leave the editor"
    assert editor.message.isVisible() and "problem" in editor.message.text().lower()
    assert window.services.cache.messages.count_unsent("demo") == 0

    # Corrected: no issue left, Submit queues it and the sync sends it at once.
    type_identity_number(qtbot, editor, good)
    qtbot.waitUntil(lambda: not editor.form.has_errors())
    qtbot.mouseClick(editor.submit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.editor is None, timeout=5000)  # queued on the cache worker
    assert window.stack.currentWidget() is window.outbox_view
    assert "Report submitted" in window.outbox_view.notice.text()

    qtbot.waitUntil(lambda: window.receipts_model.rowCount() == 1, timeout=15000)
    assert server.message_count() == 1
    receipt = window.receipts_model.row_at(0)
    window.show_page(MainWindow.RECEIPTS)
    assert window.stack.currentWidget() is window.receipts_view
    qtbot.waitUntil(lambda: window.status.unsent_label.text() == "0 unsent")

    # The PDF receipt names the receipt id (and so can be matched to the registry's records).
    pdf = tmp_path / "receipt.pdf"
    with qtbot.waitSignal(window.receipts_view.pdfSaved, timeout=10000):
        window.receipts_view.save_pdf(receipt, pdf)
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert receipt.receipt_id in text
    assert "Breast cancer (breast)" in text


def test_draft_survives_closing_the_client(qtbot, launch):
    shell = launch()
    window = sign_in(qtbot, shell)
    editor = new_breast_assessment(qtbot, window)
    number = generate_identity_number(random.Random(3), kind="d")
    type_identity_number(qtbot, editor, number)
    name_edit = editor.form.field_widget("patient_name").focus_widget()
    qtbot.keyClicks(name_edit, "Testperson Syntetisk")
    message_id = editor.message_id
    window.close()  # writes the last edit and waits for it (in a local event loop)
    shell.finish()  # ends the session
    shell.services.shutdown()

    window = sign_in(qtbot, launch())
    window.show_page(MainWindow.DRAFTS)
    qtbot.waitUntil(lambda: [row.id for row in window.drafts_model.rows] == [message_id])
    with qtbot.waitSignal(window.draftOpened, timeout=5000):
        window.open_draft(message_id)
    values = window.editor.form.values()
    assert values["patient_id"] == number
    assert values["patient_name"] == "Testperson Syntetisk"


def test_offline_submit_waits_in_outbox_and_is_sent_when_server_returns(qtbot, launch, server):
    window = sign_in(qtbot, launch())
    qtbot.waitUntil(lambda: window.status.connection_label.text() == "Online", timeout=10000)
    server.stop()

    editor = new_breast_assessment(qtbot, window)
    fill_valid_answers(editor, skip=set())
    qtbot.waitUntil(lambda: not editor.form.has_errors())
    qtbot.mouseClick(editor.submit_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: window.status.connection_label.text() == "Offline", timeout=10000)
    assert window.status.unsent_label.text() == "1 unsent"
    assert window.stack.currentWidget() is window.outbox_view
    qtbot.waitUntil(lambda: window.outbox_model.rowCount() == 1)
    assert window.outbox_model.row_at(0).state in (MessageState.QUEUED, MessageState.SENDING)
    assert server.message_count() == 0

    server.start()  # nobody clicks anything from here on
    qtbot.waitUntil(lambda: window.receipts_model.rowCount() == 1, timeout=15000)
    qtbot.waitUntil(lambda: window.status.connection_label.text() == "Online", timeout=5000)
    assert window.status.unsent_label.text() == "0 unsent"
    assert server.message_count() == 1
