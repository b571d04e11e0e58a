"""What the user sees while typing: problems judged when a field is left, a layout that keeps
the focused field in place, Tab from field to field, and a region pick leading to its hospitals.

These drive the form with real key presses on a focused, active window (offscreen), as
scripts/demo.sh under Xvfb does with xdotool.
"""

from __future__ import annotations

import random

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QWidget

from desktop_app.forms import generate_identity_number
from ui.form_renderer import FormView

pytestmark = pytest.mark.gui


def _focus(qtbot, view: FormView, field_id: str) -> QWidget:
    view.window().activateWindow()
    assert view.focus_field(field_id)
    target = view.field_widget(field_id).focus_widget()
    qtbot.waitUntil(target.hasFocus)
    return target


def _press(qtbot, key: Qt.Key) -> None:
    """A key press where the user's key would go: the focused widget, or an open popup."""
    popup = QApplication.activePopupWidget()
    qtbot.keyClick(popup or QApplication.focusWidget(), key)


def _shown_keys(view: FormView, field_id: str) -> list[str]:
    return [issue.key for issue in view.field_widget(field_id).issues()]


def _engine_keys(view: FormView, field_id: str) -> list[str]:
    return [issue.key for issue in view.issues() if issue.path == field_id]


def _position(widget: QWidget) -> QPoint:
    return widget.mapTo(widget.window(), QPoint(0, 0))


def _field_of(view: FormView, widget: QWidget | None) -> str | None:
    while widget is not None:
        name = widget.objectName()
        if name.startswith("field_"):
            return name.removeprefix("field_")
        widget = widget.parentWidget()
    return None


# 1. The focused field never moves when problems come or go ------------------------------


def test_focused_field_stays_put_when_the_first_problem_appears(make_view, qtbot) -> None:
    view = make_view()
    view.resize(900, 500)
    edit = _focus(qtbot, view, "er_percent")
    before = _position(edit)
    assert not view.summary.isVisible()

    qtbot.keyClicks(edit, "12a")
    qtbot.keyClick(edit, Qt.Key.Key_Return)  # confirmed: the problem shows, focus stays

    assert _shown_keys(view, "er_percent") == ["integer.invalid"]
    assert view.summary.isVisible() and view.summary.paths() == ["er_percent"]
    assert edit.hasFocus()
    assert _position(edit) == before


def test_next_field_stays_where_the_user_aimed_when_tab_shows_a_problem_above(
    make_view, qtbot
) -> None:
    view = make_view()
    number = _focus(qtbot, view, "patient_id")
    next_input = view.field_widget("patient_no_norwegian_id").focus_widget()
    aimed_at = _position(next_input)

    qtbot.keyClicks(number, "15108")
    _press(qtbot, Qt.Key.Key_Tab)

    assert QApplication.focusWidget() is next_input
    assert _shown_keys(view, "patient_id") == ["identity_number.length"]  # above it, now
    assert _position(next_input) == aimed_at


def test_fixing_the_last_problem_does_not_move_the_field(make_view, qtbot) -> None:
    view = make_view()
    view.resize(900, 500)
    edit = _focus(qtbot, view, "tumour_size_mm")
    qtbot.keyClicks(edit, "abc")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert view.summary.isVisible()
    before = _position(edit)

    edit.clear()
    qtbot.keyClicks(edit, "12")

    assert not view.summary.isVisible()
    assert _position(edit) == before


# 2. Reward early, punish late -------------------------------------------------------------


def test_unknown_code_is_shown_only_once_the_user_leaves_the_field(make_view, qtbot) -> None:
    view = make_view()
    edit = _focus(qtbot, view, "region")
    qtbot.keyClicks(edit, "Sør")  # still searching

    assert _engine_keys(view, "region") == ["code.unknown"]  # counted all along ...
    assert view.has_errors()
    assert _shown_keys(view, "region") == []  # ... but not called wrong yet
    assert "region" not in view.summary.paths()
    assert view.is_field_visible("hospital")  # no rows come or go while typing

    _focus(qtbot, view, "patient_name")  # leaves the field

    assert _shown_keys(view, "region") == ["code.unknown"]
    assert "region" in view.summary.paths()


def test_identity_number_length_waits_and_a_fix_shows_at_once(make_view, qtbot) -> None:
    view = make_view()
    number = generate_identity_number(random.Random(5))
    edit = _focus(qtbot, view, "patient_id")
    for digit in number[:6]:
        qtbot.keyClick(edit, digit)
        assert _shown_keys(view, "patient_id") == []
    assert _engine_keys(view, "patient_id") == ["identity_number.length"]

    _press(qtbot, Qt.Key.Key_Tab)
    assert _shown_keys(view, "patient_id") == ["identity_number.length"]

    _focus(qtbot, view, "patient_id")
    qtbot.keyClicks(edit, number[6:10])
    assert _shown_keys(view, "patient_id") == ["identity_number.length"]  # still true
    qtbot.keyClick(edit, number[10])
    assert edit.hasFocus()
    assert _shown_keys(view, "patient_id") == []  # fixed: gone while still in the field
    assert "patient_id" not in view.summary.paths()


def test_a_new_kind_of_problem_waits_while_the_old_one_goes(make_view, qtbot) -> None:
    view = make_view()
    edit = _focus(qtbot, view, "er_percent")
    qtbot.keyClicks(edit, "120")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert _shown_keys(view, "er_percent") == ["number.above_max"]

    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, "x")  # "12x": no longer too big, not a number either
    assert _shown_keys(view, "er_percent") == []
    assert _engine_keys(view, "er_percent") == ["integer.invalid"]


def test_submit_shows_a_half_typed_problem_at_once(make_view, qtbot) -> None:
    view = make_view()
    edit = _focus(qtbot, view, "patient_id")
    qtbot.keyClicks(edit, "151")
    view.show_all_issues()
    assert _shown_keys(view, "patient_id") == ["identity_number.length"]


def test_a_pick_from_a_list_is_judged_at_once(make_view, qtbot) -> None:
    view = make_view({"region": "1"})
    _focus(qtbot, view, "hospital")
    combo = view.field_widget("department").combo
    _focus(qtbot, view, "department")
    combo.setCurrentIndex(combo.findData("other"))
    assert view.is_field_visible("department_other")  # a choice is a finished answer


def test_footer_count_includes_problems_not_shown_yet(qtbot, drafts, cache) -> None:
    from ui.draft_editor import DraftEditor

    record = cache.messages.create_draft("test.clinician", "breast", "assessment", 1)
    editor = DraftEditor(drafts, drafts.open_with_changes(record.id), "en", 50)
    qtbot.addWidget(editor)
    editor.resize(1000, 700)
    editor.show()
    qtbot.waitExposed(editor)
    edit = _focus(qtbot, editor.form, "er_percent")
    qtbot.keyClicks(edit, "12a")
    assert _shown_keys(editor.form, "er_percent") == []
    errors = [issue for issue in editor.form.issues() if issue.is_error]
    assert ("er_percent", "integer.invalid") in [(issue.path, issue.key) for issue in errors]
    assert editor.problem_label.text() == f"{len(errors)} problems to fix before submitting"


# 3. Tab goes from field to field ----------------------------------------------------------


def test_tab_walks_the_visible_fields_in_definition_order(make_view, qtbot, breast) -> None:
    """One stop per field: the input itself; a radio group is one stop (its chosen button),
    and each box of a checkbox list would be one (the breast form's list has a single box).
    The buttons beside inputs (code list, calendar, clear) are no stops: Alt+Down opens a
    code list or a calendar, Delete clears a chosen radio answer."""
    view = make_view({"mri_done": "1"})  # an answer enables the group's Clear button
    wanted = [f.id for f in breast.fields() if view.is_field_visible(f.id)]
    first = _focus(qtbot, view, wanted[0])
    stops: list[str | None] = []
    for _ in range(len(wanted) + 5):
        _press(qtbot, Qt.Key.Key_Tab)
        widget = QApplication.focusWidget()
        if widget is first:
            break
        stops.append(_field_of(view, widget))
        assert widget is view.field_widget(stops[-1]).focus_widget() if stops[-1] else False, (
            f"Tab stopped on {type(widget).__name__} {widget.objectName()!r} after {stops}"
        )
    assert [wanted[0], *stops] == wanted


def test_alt_down_opens_the_calendar_and_delete_clears_a_radio_answer(make_view, qtbot) -> None:
    view = make_view({"mri_done": "1"})
    date = view.field_widget("diagnosis_date")
    edit = _focus(qtbot, view, "diagnosis_date")
    qtbot.keyClick(edit, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(date.calendar_button.menu().isVisible)
    date.calendar_button.menu().hide()

    radio = _focus(qtbot, view, "mri_done")
    qtbot.keyClick(radio, Qt.Key.Key_Delete)
    assert "mri_done" not in view.values()


# 4. A region picked from the list leads on to its hospitals -----------------------------


def test_region_picked_from_the_list_then_tab_reaches_the_hospital(
    make_view, qtbot, breast
) -> None:
    view = make_view()
    region = view.field_widget("region")
    edit = _focus(qtbot, view, "region")
    qtbot.keyClicks(edit, "Sør")
    qtbot.waitUntil(region.completer.popup().isVisible)
    _press(qtbot, Qt.Key.Key_Down)
    assert edit.text() == "1"  # browsing the list shows the code alone
    _press(qtbot, Qt.Key.Key_Return)
    assert not region.completer.popup().isVisible()
    assert edit.text() == "1"
    assert view.values()["region"] == "1"
    assert "Sør-Øst" in region._note.text()

    hospital = view.field_widget("hospital")
    region_of = {e.code: e.attributes["region"] for e in breast.field("hospital").entries()}
    offered = [entry.split(" – ")[0] for entry in hospital._model.stringList()]
    assert offered and {region_of[code] for code in offered} == {"1"}

    _press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is hospital.focus_widget()
    assert view.field_widget("region").issues() == []


def test_tab_after_a_region_without_hospitals_reaches_the_field_it_brings(make_view, qtbot) -> None:
    view = make_view()
    edit = _focus(qtbot, view, "region")
    qtbot.keyClicks(edit, "5")
    assert view.is_field_visible("hospital")  # held while typing
    popup = view.field_widget("region").completer.popup()
    if popup.isVisible():
        _press(qtbot, Qt.Key.Key_Escape)
    _press(qtbot, Qt.Key.Key_Tab)
    assert not view.is_field_visible("hospital")
    assert QApplication.focusWidget() is view.field_widget("institution_name").focus_widget()


# 5. The specification of a missing Norwegian number --------------------------------------


def test_specification_shows_only_with_the_no_norwegian_number_box(make_view, qtbot) -> None:
    view = make_view()
    assert not view.is_field_visible("patient_id_specification")
    box = view.field_widget("patient_no_norwegian_id").focus_widget()
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert view.is_field_visible("patient_id_specification")
    assert view._rows["patient_id_specification"].label.text().endswith("*")
    view.show_all_issues()
    assert _shown_keys(view, "patient_id_specification") == ["required"]
    assert "patient_id" not in view.summary.paths()  # no longer required
