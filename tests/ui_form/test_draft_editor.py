"""The draft editor page with the real DraftService, Autosaver and SQLite cache."""

from __future__ import annotations

import random

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton

from desktop_app.forms import Catalogue, Issue, example_values
from local_cache import MessageState
from ui.draft_editor import DraftEditor

pytestmark = pytest.mark.gui

OWNER = "test.clinician"


@pytest.fixture
def valid_values(catalogue: Catalogue) -> dict[str, object]:
    """A complete, valid report on the version a new draft opens on (the latest)."""
    return example_values(catalogue.latest("breast", "assessment"), random.Random(7))


def _editor(qtbot, drafts, message_id: str, debounce_ms: int = 50) -> DraftEditor:
    # The window opens it on the cache worker; the test reads it itself.
    editor = DraftEditor(drafts, drafts.open_with_changes(message_id), "en", debounce_ms)
    qtbot.addWidget(editor)
    editor.resize(1000, 700)
    editor.show()
    qtbot.waitExposed(editor)
    return editor


def test_submit_with_errors_is_refused_in_the_page(qtbot, drafts, cache) -> None:
    record = drafts.new_draft("breast", "assessment")
    editor = _editor(qtbot, drafts, record.id)
    qtbot.keyClicks(editor.form.field_widget("er_percent").edit, "12a")
    count = editor.form.error_count()
    assert count > 1

    with qtbot.assertNotEmitted(editor.submitted):
        qtbot.mouseClick(editor.submit_button, Qt.MouseButton.LeftButton)

    assert editor.message.isVisible()
    assert editor.message.text().startswith(
        f"{count} problems must be fixed before this report can be submitted"
    )
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.form.summary.list)
    assert len(editor.form.summary.paths()) == count  # every problem listed, required too
    assert cache.messages.get(record.id).state == MessageState.DRAFT


def test_valid_draft_is_submitted_and_queued(qtbot, drafts, cache, valid_values) -> None:
    record = drafts.new_draft("breast", "assessment")
    cache.messages.save_values(record.id, valid_values)
    editor = _editor(qtbot, drafts, record.id)
    assert editor.problem_label.text() == "Ready to submit"

    with qtbot.waitSignal(editor.submitted, timeout=5000) as signal:
        qtbot.mouseClick(editor.submit_button, Qt.MouseButton.LeftButton)

    assert signal.args == [record.id]
    queued = cache.messages.get(record.id)
    assert queued.state == MessageState.QUEUED
    assert queued.body["values"] == valid_values
    editor.flush_and_wait()  # a later flush (the window closing the page) must not touch it
    assert cache.messages.get(record.id).state == MessageState.QUEUED


def test_refusal_message_goes_once_the_problems_are_fixed(
    qtbot, drafts, cache, valid_values
) -> None:
    record = drafts.new_draft("breast", "assessment")
    almost = dict(valid_values)
    del almost["patient_name"]
    cache.messages.save_values(record.id, almost)
    editor = _editor(qtbot, drafts, record.id)
    assert not editor.submit()
    assert editor.message.text().startswith("1 problem must be fixed")
    qtbot.keyClicks(editor.form.field_widget("patient_name").edit, "Kari Testperson")
    assert not editor.message.isVisible()
    with qtbot.waitSignal(editor.submitted, timeout=5000):
        assert editor.submit()


def test_changes_are_autosaved_after_the_debounce(qtbot, drafts, cache) -> None:
    record = drafts.new_draft("breast", "assessment")
    editor = _editor(qtbot, drafts, record.id, debounce_ms=30)
    qtbot.keyClicks(editor.form.field_widget("reporter_name").edit, "Dr. Test")
    qtbot.waitUntil(
        lambda: cache.messages.get(record.id).values.get("reporter_name") == "Dr. Test",
        timeout=5000,
    )
    qtbot.waitUntil(lambda: editor.save_label.text() == "All changes saved", timeout=5000)


def test_flush_saves_at_once_without_waiting_for_the_debounce(qtbot, drafts, cache) -> None:
    record = drafts.new_draft("breast", "assessment")
    editor = _editor(qtbot, drafts, record.id, debounce_ms=60_000)
    qtbot.keyClicks(editor.form.field_widget("er_percent").edit, "12a")
    assert cache.messages.get(record.id).values == {}
    editor.flush_and_wait()
    assert cache.messages.get(record.id).values == {"er_percent": "12a"}


def test_flush_and_wait_keeps_the_gui_thread_serving_events(qtbot, drafts, cache) -> None:
    """Closing waits for the disk in a local event loop: timers (painting) still run."""
    from PySide6.QtCore import QTimer

    record = drafts.new_draft("breast", "assessment")
    editor = _editor(qtbot, drafts, record.id, debounce_ms=60_000)
    qtbot.keyClicks(editor.form.field_widget("comment").edit, "typed")
    fired: list[bool] = []
    QTimer.singleShot(0, lambda: fired.append(True))
    editor.flush_and_wait()
    assert fired == [True]
    assert cache.messages.get(record.id).values == {"comment": "typed"}


def test_close_flushes(qtbot, drafts, cache) -> None:
    record = drafts.new_draft("breast", "assessment")
    editor = _editor(qtbot, drafts, record.id, debounce_ms=60_000)
    qtbot.keyClicks(editor.form.field_widget("comment").edit, "Seen twice")
    editor.close()  # hands the edit to the autosaver; drafts.autosaver.flush() waits for it
    drafts.autosaver.flush()
    assert cache.messages.get(record.id).values == {"comment": "Seen twice"}


def test_returned_report_shows_the_registry_issues(qtbot, drafts, cache, valid_values) -> None:
    record = drafts.new_draft("breast", "assessment")
    assert drafts.submit(record.id, valid_values) == []
    cache.messages.claim_for_sending(OWNER)
    returned = Issue("reporter_hpr", "error", "check:hpr_unknown", {}, {"en": "Unknown HPR."})
    cache.messages.mark_returned_to_draft(
        record.id, [returned.to_dict()], "The message did not pass the registry's checks."
    )

    editor = _editor(qtbot, drafts, record.id)

    assert editor.returned_banner.isVisible()
    assert editor.returned_banner.text().startswith(
        "The registry returned this report: The message did not pass"
    )
    hpr = editor.form.field_widget("reporter_hpr")
    assert [issue.key for issue in hpr.issues()] == ["check:hpr_unknown"]
    assert editor.form.summary.paths() == ["reporter_hpr"]
    assert not editor.submit()  # not before the marked field is looked at

    hpr.edit.setText(hpr.edit.text())  # retyped as it was: the reporter has checked it
    qtbot.keyClicks(hpr.edit, "1")
    qtbot.keyClick(hpr.edit, Qt.Key.Key_Backspace)
    assert hpr.issues() == []
    with qtbot.waitSignal(editor.submitted, timeout=5000):
        assert editor.submit()
    assert cache.messages.get(record.id).state == MessageState.QUEUED


def test_submitted_message_opens_read_only(qtbot, drafts, cache, valid_values) -> None:
    record = drafts.new_draft("breast", "assessment")
    drafts.submit(record.id, valid_values)
    editor = _editor(qtbot, drafts, record.id)
    assert not editor.submit_button.isVisible()
    assert editor.form.is_read_only()
    assert "can no longer be changed" in editor.message.text()
    assert not editor.submit()


def test_header_names_form_version_and_patient(qtbot, drafts, cache, valid_values) -> None:
    record = drafts.new_draft("breast", "assessment")
    cache.messages.save_values(record.id, valid_values)
    editor = _editor(qtbot, drafts, record.id)
    assert editor.title_label.text() == editor.definition.title_text("en")
    latest = drafts.catalogue.latest("breast", "assessment").version
    assert f"version {latest}" in editor.subtitle_label.text()
    assert not editor.migration_banner.isVisible()  # nothing was moved
    assert valid_values["patient_id"] in editor.patient_label.text()


def test_a_failed_autosave_is_reported_in_the_page(qtbot, drafts, cache, valid_values) -> None:
    record = drafts.new_draft("breast", "assessment")
    editor = _editor(qtbot, drafts, record.id, debounce_ms=10)
    drafts.submit(record.id, valid_values)  # queued behind the page's back: no more edits
    qtbot.keyClicks(editor.form.field_widget("comment").edit, "late edit")
    qtbot.waitUntil(lambda: editor.message.isVisible(), timeout=5000)
    assert editor.message.text().startswith("The draft was not saved: The message cannot be")
    assert cache.messages.get(record.id).values == valid_values


def test_a_draft_on_an_older_version_opens_moved_with_its_changes_shown(
    qtbot, drafts, cache, catalogue
) -> None:
    old = catalogue.get("breast", "assessment", 1)
    values = example_values(old, random.Random(3))
    values.update({"detection": "screening", "ki67_percent": 20, "histological_type": "nst"})
    record = cache.messages.create_draft(OWNER, "breast", "assessment", 1, values)

    editor = _editor(qtbot, drafts, record.id)

    latest = catalogue.latest("breast", "assessment")
    assert editor.definition is latest
    assert editor.migration_banner.isVisible()
    shown = editor.migration_label.text()
    assert shown.startswith(f"This draft has been moved to version {latest.version} of the form")
    assert '"How detected"' in shown  # renamed
    assert '"Ki-67"' in shown and "(20)" in shown  # removed: the old answer is in the text
    assert "8500/3" in shown  # remapped code
    form_values = editor.form.values()
    assert form_values["detection_method"] == "screening"
    assert form_values["histological_type"] == "8500/3"
    assert "ki67_percent" not in form_values
    assert form_values["patient_id"] == values["patient_id"]

    done = editor.migration_banner.findChild(QPushButton, "hideMigrationBanner")
    assert done.text() == "Done — I've checked these"
    assert "Removed answers are kept only here and are gone once you confirm" in shown
    with qtbot.waitSignal(editor.changesAcknowledged, timeout=5000):
        qtbot.mouseClick(done, Qt.MouseButton.LeftButton)
    assert not editor.migration_banner.isVisible()
    assert cache.messages.get(record.id).migration_changes == []
    editor.close()

    # Acknowledged: the next time the draft opens there is nothing more to tell.
    again = _editor(qtbot, drafts, record.id)
    assert not again.migration_banner.isVisible()
    assert "ki67_percent" not in again.form.values()


def test_the_changes_are_shown_again_until_acknowledged(qtbot, drafts, cache, catalogue) -> None:
    values = example_values(catalogue.get("breast", "assessment", 1), random.Random(3))
    values["ki67_percent"] = 18
    record = cache.messages.create_draft(OWNER, "breast", "assessment", 1, values)
    first = _editor(qtbot, drafts, record.id)
    shown_first = first.migration_label.text()
    assert '"Ki-67"' in shown_first and "(18)" in shown_first
    first.close()  # closed without confirming

    reopened = _editor(qtbot, drafts, record.id)

    assert reopened.record.form_version == catalogue.latest("breast", "assessment").version
    assert reopened.migration_banner.isVisible()
    assert reopened.migration_label.text() == shown_first  # the removed answer, still there


def test_migration_banner_speaks_norwegian(qtbot, drafts, cache, catalogue) -> None:
    record = cache.messages.create_draft(OWNER, "breast", "assessment", 1, {"ki67_percent": 5})
    editor = DraftEditor(drafts, drafts.open_with_changes(record.id), "nb", 50)
    qtbot.addWidget(editor)
    assert editor.migration_label.text().startswith("Dette utkastet er flyttet til versjon")
    assert "«Ki-67»" in editor.migration_label.text()
    assert "blir borte når du bekrefter" in editor.migration_label.text()
    done = editor.migration_banner.findChild(QPushButton, "hideMigrationBanner")
    assert done.text() == "Ferdig – jeg har kontrollert disse"
