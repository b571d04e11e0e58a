"""The Reminders page: reminders fetched by the sync (and shown offline), worded in the UI
language from the rules, drafts made from them, and answers ("not ours", "patient moved")
that need a reason, leave the list at once and reach the registry with the sync."""

from __future__ import annotations

import datetime
import random

import pytest
from PySide6.QtCore import Qt

from desktop_app.forms.identity import generate_identity_number
from desktop_app.reminder_answers import record_answer
from desktop_app.reminder_rules import load_reminder_rules
from tests.server.reminder_support import (
    case_row,
    import_rows,
    patient,
    report_to,
    rule_reminders,
    run_reminders,
)
from ui.main_window import MainWindow
from ui.models.formatting import local_time
from ui.models.names import CatalogueNames
from ui.models.reminders_model import RemindersModel

from .conftest import DEMO_USER, client_settings, sign_in_user

pytestmark = pytest.mark.gui

EVENT_DATE = datetime.date(2026, 1, 15)
JOB_DAY = datetime.date(2026, 4, 20)


def _reminder_rows(model) -> list[list[str]]:
    return [
        [model.data(model.index(row, col)) for col in range(model.columnCount())]
        for row in range(model.rowCount())
    ]


def _window(qtbot, services, user) -> MainWindow:
    user.start_sync()
    window = MainWindow(services, user)
    qtbot.addWidget(window)
    window.show()
    window.show_page(MainWindow.REMINDERS)
    return window


def _computed_reminders(server, tmp_path) -> dict[str, str]:
    """Reminders the job makes for the demo unit: {"patient" | "case": id}."""
    report_to(server)
    rows = [
        case_row(
            registry="breast",
            event="pathology_diagnosis",
            event_date=EVENT_DATE,
            patient_id=patient("view"),
            patient_name="Fiktiv, Kari Påminnelse",
        ),
        case_row(
            registry="sarcoma",
            event="surgery_procedure",
            event_date=EVENT_DATE,
            case_id="KRG-2026-31",
            patient_name="Fiktiv, Uten Nummer",
        ),
    ]
    assert import_rows(server, tmp_path, rows, today=JOB_DAY) == 0
    run_reminders(server, JOB_DAY)
    (with_number,) = rule_reminders(server, patient_id=patient("view"))
    (without,) = rule_reminders(server, case_id="KRG-2026-31")
    return {"patient": with_number.id, "case": without.id}


def _select(view, model, reminder_id: str) -> None:
    row = next(r for r in range(model.rowCount()) if model.row_at(r)["id"] == reminder_id)
    view.table.selectRow(view.table.proxy.mapFromSource(model.index(row, 0)).row())


def test_reminders_listed_after_sync_and_still_shown_offline(
    qtbot, tmp_path, server, make_services
) -> None:
    patient_id = generate_identity_number(random.Random(11))
    server.add_reminder(
        DEMO_USER,
        registry="breast",
        form="assessment",
        patient_id=patient_id,
        patient_name="Fiktiv, Test Reminder",
        reason="No assessment message received (test).",
    )
    other = generate_identity_number(random.Random(12))
    server.add_reminder("bergen", registry="breast", form="assessment", patient_id=other)
    settings = client_settings(server, tmp_path / "client")

    # Online: the sync fetches the unit's reminders.
    services = make_services(settings)
    user = sign_in_user(services)
    window = _window(qtbot, services, user)
    model, view = window.reminders_model, window.reminders_view
    qtbot.waitUntil(lambda: model.fetched_at is not None, timeout=10000)
    rows = _reminder_rows(model)
    ours = [row for row in rows if "Fiktiv, Test Reminder" in row[model.COL_PATIENT]]
    assert len(ours) == 1
    assert ours[0][model.COL_PATIENT] == f"Fiktiv, Test Reminder ({patient_id[:6]}*****)"
    # A reminder without a rule's key shows the server's own sentence.
    assert ours[0][model.COL_REASON] == "No assessment message received (test)."
    assert ours[0][model.COL_STATUS] == "Due in 14 days"
    assert not any(other[:6] in row[model.COL_PATIENT] for row in rows)  # another unit's
    fetched_text = f"Last fetched: {local_time(model.fetched_at)}"
    assert view.fetched_label.text() == fetched_text
    count = model.rowCount()
    window.close()

    # Offline, after a restart: the same reminders from the cache, with the same fetch time.
    server.stop()
    services = make_services(settings)
    user = sign_in_user(services)
    assert user.session.offline
    window = _window(qtbot, services, user)
    model, view = window.reminders_model, window.reminders_view
    qtbot.waitUntil(lambda: model.rowCount() == count, timeout=5000)  # loaded in the background
    assert view.fetched_label.text() == fetched_text
    assert window.status.connection_label.text() == "Offline"
    assert "not yet" not in window.status.last_sync_label.text()  # the cached list's time


def test_never_fetched_says_so(qtbot, server, services, user) -> None:
    server.stop()  # signed in, but the server went away before the first sync
    window = _window(qtbot, services, user)
    # Before the event loop runs (and delivers the engine's first events).
    assert window.status.last_sync_label.text() == "Last sync: not yet"
    qtbot.waitUntil(lambda: not window.reminders_model.reloader.busy, timeout=5000)
    assert window.reminders_model.rowCount() == 0
    assert window.reminders_view.fetched_label.text().startswith("Last fetched: never.")
    assert window.reminders_view.summary.text() == "No open reminders for your unit."


def test_create_draft_from_a_reminder_prefills_the_patient_and_keeps_its_id(
    qtbot, server, services, user, session
) -> None:
    patient_id = generate_identity_number(random.Random(13))
    reminder_id = server.add_reminder(
        DEMO_USER,
        registry="breast",
        form="assessment",
        patient_id=patient_id,
        patient_name="Fiktiv, Prefill",
    )
    window = _window(qtbot, services, user)
    model, view = window.reminders_model, window.reminders_view
    qtbot.waitUntil(lambda: model.fetched_at is not None, timeout=10000)
    _select(view, model, reminder_id)
    view.create_button.click()
    qtbot.waitUntil(lambda: window.editor is not None, timeout=5000)
    drafts = user.cache.messages.list(session.username, ["draft"])
    assert len(drafts) == 1
    assert drafts[0].values.get("patient_id") == patient_id
    assert drafts[0].reminder_id == reminder_id


def test_drafts_from_computed_reminders_carry_the_case_id_and_the_diagnosis_date(
    qtbot, tmp_path, server, services, user, session
) -> None:
    ids = _computed_reminders(server, tmp_path)
    window = _window(qtbot, services, user)
    model, view = window.reminders_model, window.reminders_view
    qtbot.waitUntil(lambda: set(ids.values()) <= {r["id"] for r in model.rows}, timeout=10000)

    made = {}
    for kind, reminder_id in ids.items():
        _select(view, model, reminder_id)
        view.create_button.click()
        qtbot.waitUntil(
            lambda rid=reminder_id: (
                window.editor is not None
                and user.cache.messages.get(window.editor.message_id).reminder_id == rid
            ),
            timeout=5000,
        )
        made[kind] = user.cache.messages.get(window.editor.message_id)
        window.show_page(MainWindow.REMINDERS)

    # Sarcoma surgery for a patient without a number: the registry's case id, and the
    # procedure's date is not taken for the diagnosis date.
    case = made["case"].values
    assert case["patient_no_norwegian_id"] == ["1"]
    assert case["patient_id_specification"] == "Cancer Registry case ID: KRG-2026-31"
    assert "diagnosis_date" not in case and "patient_id" not in case
    # Breast assessment after a pathology diagnosis: its date is the diagnosis date.
    assessment = made["patient"].values
    assert assessment["patient_id"] == patient("view")
    assert assessment["diagnosis_date"] == EVENT_DATE.isoformat()
    # The form accepts what was filled in.
    patient_fields = {"patient_id", "patient_no_norwegian_id", "patient_id_specification"}
    for kind, checked in (
        ("case", patient_fields),
        ("patient", {*patient_fields, "diagnosis_date"}),
    ):
        issues = user.drafts.validate(made[kind].id, made[kind].values)
        assert [i for i in issues if i.path in checked] == [], kind


def test_computed_reminders_are_worded_from_the_rules_in_the_ui_language(
    qtbot, tmp_path, server, services, user, session
) -> None:
    ids = _computed_reminders(server, tmp_path)
    window = _window(qtbot, services, user)
    model = window.reminders_model
    qtbot.waitUntil(
        lambda: {ids["patient"], ids["case"]} <= {r["id"] for r in model.rows}, timeout=10000
    )
    by_id = {model.row_at(r)["id"]: row for r, row in enumerate(_reminder_rows(model))}
    assessment, surgery = by_id[ids["patient"]], by_id[ids["case"]]
    assert assessment[model.COL_REASON] == (
        "Pathology diagnosis on 2026-01-15, but no assessment message after 60 days."
    )
    assert surgery[model.COL_PATIENT] == "Fiktiv, Uten Nummer (case KRG-2026-31)"
    overdue_days = (datetime.date.today() - datetime.date(2026, 3, 16)).days
    assert surgery[model.COL_STATUS] == f"Overdue by {overdue_days} days"
    assert "2 overdue" in window.reminders_view.summary.text()

    rules = load_reminder_rules()
    norwegian = RemindersModel(
        user.cache.reminders,
        session.username,
        CatalogueNames(services.catalogue, "nb"),
        answers=user.cache.reminder_answers,
    )
    norwegian.refresh()
    qtbot.waitUntil(lambda: norwegian.rowCount() == model.rowCount(), timeout=5000)
    row = next(r for r in range(norwegian.rowCount()) if norwegian.row_at(r)["id"] == ids["case"])
    assert norwegian.data(norwegian.index(row, norwegian.COL_REASON)) == rules.reason_text(
        "no_surgery_after_procedure", {"event_date": "2026-01-15", "days": 30}, "nb"
    )
    assert norwegian.data(norwegian.index(row, norwegian.COL_FORM)).startswith("Sarkom")


def test_an_answer_needs_a_reason_hides_the_reminder_and_is_sent_when_online(
    qtbot, tmp_path, server, services, user, session
) -> None:
    ids = _computed_reminders(server, tmp_path)
    window = _window(qtbot, services, user)
    model, view = window.reminders_model, window.reminders_view
    qtbot.waitUntil(lambda: ids["case"] in {r["id"] for r in model.rows}, timeout=10000)
    assert not view.not_ours_button.isEnabled()  # nothing selected
    _select(view, model, ids["case"])

    # Cancelled: nothing is stored and the reminder stays.
    qtbot.mouseClick(view.moved_button, Qt.MouseButton.LeftButton)
    dialog = view.answer_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.windowTitle() == "Patient moved"
    qtbot.keyClicks(dialog.reason_edit, "Moved")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: view.answer_dialog is None, timeout=2000)
    assert user.cache.reminder_answers.answered_ids(session.username) == set()

    server.stop()  # answered offline
    qtbot.mouseClick(view.not_ours_button, Qt.MouseButton.LeftButton)
    dialog = view.answer_dialog
    assert "KRG-2026-31" in dialog.summary.text()
    assert not dialog.ok_button.isEnabled()  # a reason is required
    qtbot.keyClicks(dialog.reason_edit, "   ")
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClicks(dialog.reason_edit, "Only the biopsy was taken here.")
    assert dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.answer_dialog is None, timeout=5000)  # closed when stored

    qtbot.waitUntil(lambda: ids["case"] not in {r["id"] for r in model.rows}, timeout=5000)
    assert ids["patient"] in {r["id"] for r in model.rows}
    (waiting,) = user.cache.reminder_answers.unsent(session.username)
    assert (waiting.answer, waiting.reason) == ("not_ours", "Only the biopsy was taken here.")
    qtbot.waitUntil(lambda: view.answers_label.isVisible(), timeout=5000)
    assert view.answers_label.text() == "1 answer is waiting to be sent to the registry."
    assert "saved on this computer" in view.notice.text()

    server.start()
    window.send_now()
    qtbot.waitUntil(
        lambda: rule_reminders(server, id=ids["case"])[0].answer == "not_ours", timeout=15000
    )
    stored = rule_reminders(server, id=ids["case"])[0]
    assert (stored.answer_reason, stored.answered_by) == (
        "Only the biopsy was taken here.",
        session.username,
    )
    qtbot.waitUntil(lambda: not view.answers_label.isVisible(), timeout=10000)
    assert ids["case"] not in {r["id"] for r in model.rows}
    # Sent: the banner saying it goes "with the next sync" is gone.
    assert not view.notice.isVisible()
    assert user.cache.reminder_answers.unsent(session.username) == []


def test_an_answer_the_registry_refuses_is_shown_with_its_reason(
    qtbot, server, services, user
) -> None:
    record_answer(user.cache, user.owner, "0" * 8 + "-gone", "not_ours", "Not here.")
    window = _window(qtbot, services, user)
    view = window.reminders_view
    qtbot.waitUntil(lambda: "did not take" in view.answers_label.text(), timeout=10000)
    assert view.answers_label.isVisible()
    assert "There is no such reminder for your unit" in view.answers_label.text()
