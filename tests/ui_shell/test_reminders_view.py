"""Reminders are fetched by the sync and stay visible, with their fetch time, when offline."""

from __future__ import annotations

import random

import pytest

from desktop_app.forms.identity import generate_identity_number
from ui.main_window import MainWindow
from ui.models.formatting import local_time

from .conftest import DEMO_PASSWORD, DEMO_USER, client_settings

pytestmark = pytest.mark.gui


def _reminder_rows(model) -> list[list[str]]:
    return [
        [model.data(model.index(row, col)) for col in range(model.columnCount())]
        for row in range(model.rowCount())
    ]


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
    session = services.sessions.sign_in(DEMO_USER, DEMO_PASSWORD)
    window = MainWindow(services, session, services.start_sync(session))
    qtbot.addWidget(window)
    window.show_page(MainWindow.REMINDERS)
    model, view = window.reminders_model, window.reminders_view
    qtbot.waitUntil(lambda: model.fetched_at is not None, timeout=10000)
    rows = _reminder_rows(model)
    ours = [row for row in rows if "Fiktiv, Test Reminder" in row[model.COL_PATIENT]]
    assert len(ours) == 1
    assert ours[0][model.COL_PATIENT] == f"Fiktiv, Test Reminder ({patient_id[:6]}*****)"
    assert ours[0][model.COL_REASON] == "No assessment message received (test)."
    assert not any(other[:6] in row[model.COL_PATIENT] for row in rows)  # another unit's
    fetched_text = f"Last fetched: {local_time(model.fetched_at)}"
    assert view.fetched_label.text() == fetched_text
    count = model.rowCount()
    window.close()

    # Offline, after a restart: the same reminders from the cache, with the same fetch time.
    server.stop()
    services = make_services(settings)
    session = services.sessions.sign_in(DEMO_USER, DEMO_PASSWORD)
    assert session.offline
    window = MainWindow(services, session, services.start_sync(session))
    qtbot.addWidget(window)
    window.show_page(MainWindow.REMINDERS)
    model, view = window.reminders_model, window.reminders_view
    assert model.rowCount() == count
    assert view.fetched_label.text() == fetched_text
    assert window.status.connection_label.text() == "Offline"


def test_never_fetched_says_so(qtbot, server, services, session) -> None:
    server.stop()  # signed in, but the server went away before the first sync
    window = MainWindow(services, session, services.start_sync(session))
    qtbot.addWidget(window)
    window.show_page(MainWindow.REMINDERS)
    assert window.reminders_model.rowCount() == 0
    assert window.reminders_view.fetched_label.text().startswith("Last fetched: never.")
    assert window.status.last_sync_label.text() == "Last sync: not yet"


def test_create_draft_from_a_reminder_prefills_the_patient(
    qtbot, server, services, session
) -> None:
    patient_id = generate_identity_number(random.Random(13))
    server.add_reminder(
        DEMO_USER,
        registry="breast",
        form="assessment",
        patient_id=patient_id,
        patient_name="Fiktiv, Prefill",
    )
    window = MainWindow(services, session, services.start_sync(session))
    qtbot.addWidget(window)
    window.show_page(MainWindow.REMINDERS)
    model, view = window.reminders_model, window.reminders_view
    qtbot.waitUntil(lambda: model.fetched_at is not None, timeout=10000)
    names = [model.row_at(r).get("patient_name") for r in range(model.rowCount())]
    row = names.index("Fiktiv, Prefill")
    view.table.selectRow(view.table.proxy.mapFromSource(model.index(row, 0)).row())
    view.create_button.click()
    assert window.editor is not None
    drafts = services.cache.messages.list(session.username, ["draft"])
    assert len(drafts) == 1
    assert drafts[0].values.get("patient_id") == patient_id
