"""The new report flow in the real main window: registry, form by pathway step, patient, and the
warning when the patient already has a report of that form."""

from __future__ import annotations

import random
import threading
from datetime import date, datetime

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import event

from desktop_app.forms import generate_identity_number
from local_cache import MessageState
from ui.main_window import MainWindow
from ui.views.new_report_view import NewReportView

from .conftest import queue_valid_report

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, services, user) -> MainWindow:
    # No sync engine: these tests are about the local flow (one test sends through the server).
    window = MainWindow(services, user)
    qtbot.addWidget(window)
    window.show()
    window.show_page(MainWindow.NEW_REPORT)
    return window


@pytest.fixture
def envelope(session) -> dict:
    """What every new draft is given from the demo user's sign-in (Ullevål, region 1)."""
    return {
        "region": "1",
        "hospital": "0320",
        "department": "surgery",  # the unit's, a code of the form's list (desktop_app.prefill)
        "reporter_name": session.display_name,
        "report_date": date.today().isoformat(),
    }


@pytest.fixture
def view(window: MainWindow) -> NewReportView:
    return window.new_report_view


@pytest.fixture
def patient() -> str:
    return generate_identity_number(random.Random(2024), kind="d")


def enter_patient(qtbot, view: NewReportView, number: str, name: str = "") -> None:
    step = view.patient_step
    step.number_edit.setFocus()
    qtbot.keyClicks(step.number_edit, number)
    if name:
        qtbot.keyClicks(step.name_edit, name)


def test_twelve_registries_national_ones_first_with_their_titles(view, services) -> None:
    groups = view.registry_list.groups()
    assert list(groups) == ["National quality registries", "Registries without national status"]
    national, other = groups.values()
    assert len(national) + len(other) == 12
    registries = {r.id: r for r in services.catalogue.registries()}
    assert all(registries[r].national for r in national)
    assert not any(registries[r].national for r in other)
    assert view.registry_list.text_of("breast") == "Breast cancer"
    assert view.registry_list.text_of("sarcoma") == "Sarcoma"


def test_breast_forms_are_grouped_by_pathway_step_in_pathway_order(view) -> None:
    assert view.registry_list.select_key("breast")
    assert view.form_list.groups() == {
        "Assessment": ["assessment"],
        "Surgery": ["surgery"],
        "Oncological treatment": ["oncological_treatment"],
        "Follow-up": ["follow_up"],
        "Relapse": ["relapse"],
    }
    assert view.form_list.text_of("assessment") == "Breast cancer – assessment"
    assert view.form_list.current_key() == "assessment"  # the first form is chosen for Enter


def test_identity_number_is_checked_as_it_is_typed(qtbot, view, patient) -> None:
    step = view.patient_step
    assert view.select("breast", "surgery")
    assert not view.create_button.isEnabled()

    enter_patient(qtbot, view, patient[:6])
    assert "6 of 11 digits" in step.number_status.text()
    assert not view.create_button.isEnabled()

    wrong = patient[:-1] + str((int(patient[-1]) + 1) % 10)
    step.number_edit.clear()
    qtbot.keyClicks(step.number_edit, wrong)
    assert "check digits do not match" in step.number_status.text()
    assert not view.create_button.isEnabled()

    step.number_edit.clear()
    qtbot.keyClicks(step.number_edit, patient)
    assert step.number_status.text() == "D-number: valid."
    assert view.create_button.isEnabled()


def test_keyboard_only_from_registry_to_open_draft(
    qtbot, window, view, services, user, patient, envelope
) -> None:
    """Arrow keys and Enter: registry, form, number, name, and the draft opens prefilled."""
    view.registry_list.setFocus()
    assert view.registry_list.select_key("breast")
    qtbot.keyClick(view.registry_list, Qt.Key.Key_Return)
    assert view.form_list.hasFocus()
    qtbot.keyClick(view.form_list, Qt.Key.Key_Down)  # assessment -> surgery (headings skipped)
    assert view.form_list.current_key() == "surgery"
    qtbot.keyClick(view.form_list, Qt.Key.Key_Return)
    step = view.patient_step
    assert step.number_edit.hasFocus()
    qtbot.keyClicks(step.number_edit, patient)
    qtbot.keyClick(step.number_edit, Qt.Key.Key_Return)
    assert step.name_edit.hasFocus()
    qtbot.keyClicks(step.name_edit, "Testperson Syntetisk")
    qtbot.keyClick(step.name_edit, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: window.editor is not None, timeout=5000)  # looked up off the GUI
    record = user.cache.messages.get(window.editor.message_id)
    assert (record.registry, record.form) == ("breast", "surgery")
    assert record.values == {
        "patient_id": patient,
        "patient_name": "Testperson Syntetisk",
        **envelope,
    }
    assert step.number_edit.text() == ""  # the next new report starts with an empty patient


def test_patient_without_a_norwegian_number(qtbot, window, view, services, user, envelope) -> None:
    assert view.select("sarcoma", "assessment")
    step = view.patient_step
    assert not step.specification_edit.isVisibleTo(view)
    step.no_number_check.setChecked(True)
    assert step.specification_edit.isVisibleTo(view) and not step.number_edit.isEnabled()
    qtbot.keyClicks(step.specification_edit, "Passport X1234567")
    qtbot.keyClicks(step.name_edit, "Testperson Utenlandsk")
    view.create_button.click()
    qtbot.waitUntil(lambda: window.editor is not None, timeout=5000)

    record = user.cache.messages.get(window.editor.message_id)
    assert record.values == {
        "patient_no_norwegian_id": ["1"],
        "patient_id_specification": "Passport X1234567",
        "patient_name": "Testperson Utenlandsk",
        **envelope,
    }
    # The prefilled answers are answers the form accepts.
    issues = user.drafts.validate(record.id, record.values)
    assert not [i for i in issues if i.path.startswith("patient")]


def test_existing_draft_is_offered_and_open_existing_opens_it(
    qtbot, window, view, services, user, session, patient
) -> None:
    earlier = user.drafts.new_draft("breast", "assessment", {"patient_id": patient})
    assert view.select("breast", "assessment")
    enter_patient(qtbot, view, patient, "Testperson Syntetisk")
    view.create_button.click()
    assert not view.create_button.isEnabled()  # once: the reports are being looked for
    _wait_for_box(qtbot, view)

    box = view.existing_box
    assert box is not None and box.isVisible()
    assert view.create_button.isEnabled()
    assert box.text().startswith("A draft of this form for this patient already exists")
    assert earlier.updated_at.astimezone().strftime("%d.%m.%Y") in box.text()
    assert window.editor is None
    with qtbot.waitSignal(window.draftOpened, timeout=5000):
        box.findChild(type(view.create_button), "openExistingButton").click()

    assert window.editor is not None and window.editor.message_id == earlier.id
    assert len(user.cache.messages.list(session.username)) == 1


def test_create_new_anyway_and_cancel(
    qtbot, window, view, services, user, session, patient
) -> None:
    user.drafts.new_draft("breast", "assessment", {"patient_id": patient})
    assert view.select("breast", "assessment")
    enter_patient(qtbot, view, patient)

    view.create_button.click()
    _wait_for_box(qtbot, view)
    view.existing_box.reject()  # Cancel / Escape
    assert window.editor is None
    assert len(user.cache.messages.list(session.username)) == 1

    view.create_button.click()
    _wait_for_box(qtbot, view)
    with qtbot.waitSignal(window.draftOpened, timeout=5000):
        view.existing_box.findChild(type(view.create_button), "createAnywayButton").click()
    assert window.editor is not None
    assert len(user.cache.messages.list(session.username)) == 2


def test_a_report_received_by_the_registry_is_named_with_its_date(
    qtbot, services, user, session
) -> None:
    """Through the real server: the warning names the date of the registry's receipt."""
    message_id = queue_valid_report(user, seed=4)
    patient_id = user.cache.messages.get(message_id).values["patient_id"]
    user.start_sync()
    window = MainWindow(services, user)
    qtbot.addWidget(window)
    qtbot.waitUntil(
        lambda: user.cache.messages.get(message_id).state == MessageState.RECEIPTED,
        timeout=15000,
    )
    receipt = user.cache.receipts.list(session.username)[0]
    view = window.new_report_view
    assert view.select("breast", "assessment")
    enter_patient(qtbot, view, patient_id)
    gui_reads = []

    def on_gui_thread(*_args: object) -> None:
        if threading.current_thread() is threading.main_thread():
            gui_reads.append(_args[2])  # the statement

    event.listen(services.cache.engine, "before_cursor_execute", on_gui_thread)
    try:
        view.create_button.click()
        _wait_for_box(qtbot, view)
    finally:
        event.remove(services.cache.engine, "before_cursor_execute", on_gui_thread)
    # The lookup, and the receipt's date, were read off the GUI thread.
    assert gui_reads == []

    text = view.existing_box.text()
    assert "already received by the registry on" in text
    received = datetime.fromisoformat(receipt.received_at).astimezone()
    assert received.strftime("%d.%m.%Y") in text


def test_a_reminder_for_a_patient_with_a_draft_asks_first(
    qtbot, window, services, user, session, patient, envelope
) -> None:
    earlier = user.drafts.new_draft("breast", "assessment", {"patient_id": patient})
    reminder = {
        "registry": "breast",
        "form": "assessment",
        "patient_id": patient,
        "patient_name": "Fiktiv, Prefill",
    }
    window.create_draft_for_reminder(reminder)
    _wait_for_box(qtbot, window)
    assert window.editor is None
    window.existing_box.findChild(
        type(window.new_report_view.create_button), "createAnywayButton"
    ).click()

    qtbot.waitUntil(lambda: window.editor is not None, timeout=5000)  # made off the GUI thread
    assert window.editor.message_id != earlier.id
    created = user.cache.messages.get(window.editor.message_id)
    assert created.values == {"patient_id": patient, "patient_name": "Fiktiv, Prefill", **envelope}


def _wait_for_box(qtbot, holder) -> None:
    """The "report already exists" question: asked once the lookup off the GUI thread is in."""
    qtbot.waitUntil(
        lambda: holder.existing_box is not None and holder.existing_box.isVisible(), timeout=5000
    )
