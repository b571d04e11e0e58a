"""The breast assessment form rendered offscreen: live validation, relevance, the summary."""

from __future__ import annotations

import random

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop_app.forms import Issue, generate_identity_number
from ui.form_renderer import FormView

pytestmark = pytest.mark.gui


def _valid_number(seed: int = 1) -> str:
    return generate_identity_number(random.Random(seed))


def _wrong_check_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def _issue_keys(view: FormView, field_id: str) -> list[str]:
    return [issue.key for issue in view.field_widget(field_id).issues()]


def test_every_field_of_the_form_gets_a_widget_in_its_section(make_view, breast) -> None:
    view = make_view()
    for section in breast.sections:
        for field in section.fields:
            widget = view.field_widget(field.id)
            assert widget.field is field
            assert widget.parent().objectName() == f"section_{section.id}"


def test_invalid_identity_number_is_marked_and_listed_until_corrected(make_view, qtbot) -> None:
    view = make_view()
    edit = view.field_widget("patient_id").edit
    qtbot.keyClicks(edit, _wrong_check_digit(_valid_number()))

    assert _issue_keys(view, "patient_id") == ["identity_number.invalid"]
    issue_label = view.field_widget("patient_id")._issue_label
    assert issue_label.isVisible()
    assert "check digits" in issue_label.text()
    assert edit.property("issue") == "error"
    assert "check digits" in edit.accessibleDescription()
    assert view.summary.isVisible()
    assert "patient_id" in view.summary.paths()

    edit.clear()
    qtbot.keyClicks(edit, _valid_number())

    assert _issue_keys(view, "patient_id") == []
    assert not issue_label.isVisible()
    assert edit.property("issue") == ""
    assert "patient_id" not in view.summary.paths()
    assert view.values()["patient_id"] == _valid_number()


def test_identity_number_takes_digits_only_and_drops_spaces_of_a_paste(make_view, qtbot) -> None:
    view = make_view()
    widget = view.field_widget("patient_id")
    number = _valid_number(3)
    qtbot.keyClicks(widget.edit, f"{number[:6]} {number[6:]}")
    assert widget.edit.text() == number
    qtbot.keyClicks(widget.edit, "9")  # a twelfth digit is refused
    qtbot.keyClicks(widget.edit, "x")
    assert widget.edit.text() == number
    assert "Born" in widget._note.text()


def test_her2_ish_appears_only_for_ihc_2_plus(make_view, qtbot) -> None:
    view = make_view()
    ihc = view.field_widget("her2_ihc").combo
    assert not view.is_field_visible("her2_ish")

    ihc.setCurrentIndex(ihc.findData("2+"))
    assert view.is_field_visible("her2_ish")
    assert view.field_widget("her2_ish").isVisible()
    assert view._rows["her2_ish"].label.text().endswith("*")

    ihc.setCurrentIndex(ihc.findData("3+"))
    assert not view.is_field_visible("her2_ish")
    assert not view.field_widget("her2_ish").isVisible()
    view.show_all_issues()
    assert "her2_ish" not in [issue.path for issue in view.issues()]


def test_integer_keeps_raw_text_and_reports_it(make_view, qtbot) -> None:
    view = make_view()
    widget = view.field_widget("er_percent")
    qtbot.keyClicks(widget.edit, "12a")

    assert widget.edit.text() == "12a"
    assert view.values()["er_percent"] == "12a"
    assert _issue_keys(view, "er_percent") == ["integer.invalid"]
    assert "er_percent" in view.summary.paths()

    widget.edit.clear()
    qtbot.keyClicks(widget.edit, "120")
    assert view.values()["er_percent"] == 120
    assert _issue_keys(view, "er_percent") == ["number.above_max"]


@pytest.mark.parametrize(("typed", "expected"), [("12,5", 12.5), ("12.5", 12.5), ("7", 7)])
def test_decimal_accepts_comma_and_point(make_view, qtbot, typed, expected) -> None:
    view = make_view()
    qtbot.keyClicks(view.field_widget("tumour_size_mm").edit, typed)
    assert view.values()["tumour_size_mm"] == expected
    assert _issue_keys(view, "tumour_size_mm") == []


def test_decimal_is_shown_with_the_language_separator(make_view) -> None:
    view = make_view({"tumour_size_mm": 12.5}, lang="nb")
    assert view.field_widget("tumour_size_mm").edit.text() == "12,5"
    assert view.values()["tumour_size_mm"] == 12.5


@pytest.mark.parametrize(("typed", "offered"), [("lobular", "D05.0"), ("C50", "C50.4")])
def test_code_completer_matches_code_or_words(make_view, qtbot, typed, offered) -> None:
    view = make_view()
    widget = view.field_widget("icd10")
    qtbot.keyClicks(widget.edit, typed)
    completer = widget.completer
    model = completer.completionModel()
    found = [model.index(row, 0).data() for row in range(model.rowCount())]
    assert any(entry.startswith(offered + " – ") for entry in found), found
    assert completer.popup().isVisible()

    # Choosing an entry stores the code alone.
    choice = next(entry for entry in found if entry.startswith(offered + " – "))
    row = found.index(choice)
    completer.popup().setCurrentIndex(model.index(row, 0))
    qtbot.keyClick(completer.popup(), Qt.Key.Key_Return)
    assert widget.edit.text() == offered
    assert view.values()["icd10"] == offered
    assert widget._note.text()  # the code's label is shown next to it


def test_code_typed_in_lower_case_is_stored_as_the_code(make_view, qtbot) -> None:
    view = make_view()
    qtbot.keyClicks(view.field_widget("icd10").edit, "c50.4")
    assert view.values()["icd10"] == "C50.4"


def test_hospital_choices_follow_the_region(make_view, qtbot, breast) -> None:
    view = make_view()
    qtbot.keyClicks(view.field_widget("region").edit, "2")
    hospital = view.field_widget("hospital")
    offered = hospital._model.stringList()
    assert offered
    region_of = {e.code: e.attributes["region"] for e in breast.field("hospital").entries()}
    assert {region_of[entry.split(" – ")[0]] for entry in offered} == {"2"}


def test_required_errors_wait_until_the_field_is_touched_or_submit(make_view, qtbot) -> None:
    view = make_view()
    assert view.has_errors()  # counted from the start ...
    assert not view.summary.isVisible()  # ... but a new form is not a wall of red
    name = view.field_widget("patient_name").edit
    qtbot.keyClicks(name, "A")
    name.clear()
    assert _issue_keys(view, "patient_name") == ["required"]
    assert view.summary.paths() == ["patient_name"]

    view.show_all_issues()
    assert len(view.summary.paths()) == view.error_count()
    assert "reporter_name" in view.summary.paths()


def test_summary_click_scrolls_to_and_focuses_the_field(make_view, qtbot) -> None:
    view = make_view()
    view.resize(900, 400)
    view.show_all_issues()
    list_widget = view.summary.list
    row = view.summary.paths().index("tumour_size_mm")
    item = list_widget.item(row)
    rect = list_widget.visualItemRect(item)
    qtbot.mouseClick(list_widget.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    target = view.field_widget("tumour_size_mm").edit
    qtbot.waitUntil(lambda: QApplication.focusWidget() is target)
    assert view.scroll_area.verticalScrollBar().value() > 0
    viewport = view.scroll_area.viewport()
    top_left = target.mapTo(viewport, target.rect().topLeft())
    assert viewport.rect().contains(top_left)


def test_server_issues_show_until_the_field_is_edited(make_view, qtbot, valid_values) -> None:
    view = make_view(valid_values)
    assert not view.has_errors()
    returned = Issue("reporter_hpr", "error", "check:hpr_unknown", {}, {"en": "Unknown HPR."})
    view.set_server_issues([returned, Issue("", "error", "body.invalid", {})])
    assert _issue_keys(view, "reporter_hpr") == ["check:hpr_unknown"]
    assert view.has_errors()
    assert set(view.summary.paths()) == {"reporter_hpr", ""}

    qtbot.keyClicks(view.field_widget("reporter_hpr").edit, "1")
    assert _issue_keys(view, "reporter_hpr") == []
    assert not view.has_errors()  # a form-level server issue cannot be edited away


def test_cross_field_check_is_shown_on_its_field(make_view, qtbot, valid_values) -> None:
    view = make_view(valid_values)
    report_date = view.values()["report_date"]
    edit = view.field_widget("diagnosis_date").edit
    edit.clear()
    year = int(report_date[:4])
    qtbot.keyClicks(edit, f"{year}-12-31" if report_date < f"{year}-12-31" else "2999-01-01")
    keys = _issue_keys(view, "diagnosis_date")
    assert keys and keys[0] in {"check:diagnosis_not_after_report", "date.in_future"}


def test_keyboard_order_follows_the_form(make_view, breast) -> None:
    view = make_view()
    wanted = [f.id for f in breast.fields() if view.is_field_visible(f.id)]
    first = view.field_widget(wanted[0]).focus_widget()
    owners = {view.field_widget(fid).focus_widget(): fid for fid in wanted}
    seen: list[str] = []
    widget = first
    for _ in range(2000):
        fid = owners.get(widget)
        if fid is not None and fid not in seen:
            seen.append(fid)
        widget = widget.nextInFocusChain()
        if widget is first:
            break
    assert seen == wanted


def test_code_field_lists_every_entry_on_alt_down(make_view, qtbot, breast) -> None:
    view = make_view()
    widget = view.field_widget("region")
    widget.edit.setFocus()
    qtbot.keyClick(widget.edit, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert widget.completer.popup().isVisible()
    assert widget.completer.completionCount() == len(breast.field("region").entries())
