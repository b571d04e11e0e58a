"""Every form of the catalogue renders and takes a valid report through its widgets; repeat
groups and computed fields behave in a real FormView."""

from __future__ import annotations

import datetime
import random

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from desktop_app.forms import (
    FormDefinition,
    example_values,
    generate_identity_number,
    load_catalogue,
    validate,
)
from ui.form_renderer import ComputedWidget, FormView, RepeatGroupWidget

pytestmark = pytest.mark.gui

_CATALOGUE = load_catalogue()
EVERY_FORM = [pytest.param(d, id=f"{d.registry}-{d.form}-v{d.version}") for d in _CATALOGUE.forms()]


def _view(qtbot, definition: FormDefinition, lang: str = "en", values=None) -> FormView:
    view = FormView(definition, values or {}, lang)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    qtbot.waitExposed(view)
    view.activateWindow()
    qtbot.waitActive(view)
    return view


def _fill(view: FormView, values: dict[str, object]) -> None:
    """Each answer through its widget's set_value, then `changed` as an edit would send it."""
    for field_id, value in values.items():
        widget = view.field_widget(field_id)
        widget.set_value(value)
        widget.changed.emit()


def _canonical(values: object) -> object:
    """Multiple-choice answers come back in option order; the order chosen does not count."""
    if isinstance(values, dict):
        return {key: _canonical(value) for key, value in values.items()}
    if isinstance(values, list) and all(isinstance(item, str) for item in values):
        return sorted(values)
    if isinstance(values, list):
        return [_canonical(item) for item in values]
    return values


@pytest.mark.parametrize("lang", ["nb", "en"])
@pytest.mark.parametrize("definition", EVERY_FORM)
def test_every_form_renders_and_takes_a_valid_report(qtbot, definition, lang) -> None:
    values = example_values(definition, random.Random(11))
    view = _view(qtbot, definition, lang)

    _fill(view, values)
    view.show_all_issues()

    assert validate(definition, view.values()) == []
    assert view.issues() == []
    assert _canonical(view.values()) == _canonical(values)
    assert not view.summary.isVisible()
    # Every row of every group is there, with the row fields the answers need.
    for field in definition.fields():
        if field.is_group and field.id in values:
            group = view.field_widget(field.id)
            assert isinstance(group, RepeatGroupWidget)
            assert group.row_count() == len(values[field.id])


@pytest.mark.parametrize("definition", EVERY_FORM)
def test_every_form_opens_with_a_stored_report(qtbot, definition) -> None:
    """A saved draft (rows included) is shown as stored and judged valid at once."""
    values = example_values(definition, random.Random(5))
    view = _view(qtbot, definition, "en", values)
    assert _canonical(view.values()) == _canonical(values)
    assert view.issues() == []


# Repeat groups ---------------------------------------------------------------------------

LYMPHOID_TREATMENT = _CATALOGUE.latest("lymphoid", "treatment")


def _lines(qtbot) -> tuple[FormView, RepeatGroupWidget]:
    view = _view(qtbot, LYMPHOID_TREATMENT)
    group = view.field_widget("treatment_lines")
    assert isinstance(group, RepeatGroupWidget)
    return view, group


def test_rows_are_added_and_removed(qtbot) -> None:
    view, group = _lines(qtbot)
    assert group.row_count() == 0
    assert group.add_button.text() == "Add line 1"
    assert group.empty_label.isVisible()

    qtbot.mouseClick(group.add_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(group.add_button, Qt.MouseButton.LeftButton)

    assert group.row_count() == 2
    assert [row.title.text() for row in group.rows] == ["Line 1", "Line 2"]
    assert group.add_button.text() == "Add line 3"
    assert view.values()["treatment_lines"] == [{}, {}]
    # The new row's first field has the focus, ready for typing.
    new_first = view.field_widget("treatment_lines[1].line_regimen").edit
    qtbot.waitUntil(lambda: QApplication.focusWidget() is new_first)

    qtbot.mouseClick(group.rows[0].remove_button, Qt.MouseButton.LeftButton)  # empty: no asking
    assert group.row_count() == 1
    assert group.rows[0].title.text() == "Line 1"
    assert view.values()["treatment_lines"] == [{}]


def test_row_relevance_is_per_row(qtbot) -> None:
    view, group = _lines(qtbot)
    group.add_row()
    group.add_row()
    radiotherapy = view.field_widget("treatment_lines[1].line_radiotherapy")
    qtbot.mouseClick(radiotherapy.buttons["1"], Qt.MouseButton.LeftButton)

    assert view.is_field_visible("treatment_lines[1].line_rt_dose_gy")
    assert not view.is_field_visible("treatment_lines[0].line_rt_dose_gy")
    assert view.values()["treatment_lines"] == [{}, {"line_radiotherapy": "1"}]
    dose_label = group.rows[1].labels["line_rt_dose_gy"]
    assert dose_label.text().endswith(" *")


def test_row_issues_are_shown_on_the_right_rows_field(qtbot) -> None:
    view, group = _lines(qtbot)
    group.add_row()
    group.add_row()
    start = view.field_widget("treatment_lines[1].line_start_date")
    start.edit.setFocus()
    qtbot.waitUntil(start.edit.hasFocus)
    qtbot.keyClicks(start.edit, "2999-01-01")
    assert start.issues() == []  # not while typing
    qtbot.keyClick(start.edit, Qt.Key.Key_Tab)  # leaving the field shows its problem

    assert start.issues()
    assert {i.path for i in start.issues()} == {"treatment_lines[1].line_start_date"}
    assert view.field_widget("treatment_lines[0].line_start_date").issues() == []
    path = "treatment_lines[1].line_start_date"
    assert path in view.summary.paths()
    entry = view.summary.list.item(view.summary.paths().index(path))
    assert entry.text().startswith("Line 2 › Start")

    # Choosing it in the problem list goes to that row's field.
    assert view.focus_field("treatment_lines[0].line_start_date")
    qtbot.mouseClick(
        view.summary.list.viewport(),
        Qt.MouseButton.LeftButton,
        pos=view.summary.list.visualItemRect(entry).center(),
    )
    qtbot.waitUntil(lambda: QApplication.focusWidget() is start.edit)


def test_server_issue_on_a_row_field_is_shown_there_and_follows_a_removed_row(qtbot) -> None:
    from desktop_app.forms import Issue

    view, group = _lines(qtbot)
    for _ in range(3):
        group.add_row()
    returned = Issue("treatment_lines[2].line_start_date", "error", "check:x", {}, {"en": "No."})
    view.set_server_issues([returned])
    assert view.field_widget("treatment_lines[2].line_start_date").issues() == [returned]

    group.remove_row(0)

    moved = view.field_widget("treatment_lines[1].line_start_date").issues()
    assert [i.path for i in moved] == ["treatment_lines[1].line_start_date"]
    assert view.error_count() >= 1


def test_group_issues_are_shown_on_the_group(qtbot) -> None:
    view, group = _lines(qtbot)
    assert group.issues() == []  # a new form does not start red
    group.add_row()
    group.remove_row(0)  # the user took the only line away: now it is their problem
    assert [i.key for i in group.issues()] == ["repeat.min_rows"]
    assert view.field_widget("treatment_lines") is group
    assert group.issues()[0].path == "treatment_lines"


def test_add_is_disabled_at_max_rows(qtbot) -> None:
    _, group = _lines(qtbot)
    for _ in range(LYMPHOID_TREATMENT.field("treatment_lines").max_rows):
        group.add_row()
    assert not group.add_button.isEnabled()
    assert group.full_label.isVisible()
    group.add_row()  # a stray call changes nothing
    assert group.row_count() == LYMPHOID_TREATMENT.field("treatment_lines").max_rows
    group.remove_row(0)
    assert group.add_button.isEnabled()


def test_removing_a_row_with_answers_asks_first(qtbot) -> None:
    view, group = _lines(qtbot)
    group.add_row()
    group.add_row()
    qtbot.keyClicks(view.field_widget("treatment_lines[0].line_start_date").edit, "2024-01-02")

    qtbot.mouseClick(group.rows[0].remove_button, Qt.MouseButton.LeftButton)
    assert group.row_count() == 2  # not yet
    assert group.rows[0].confirm_bar.isVisible()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is group.rows[0].keep_button)

    qtbot.mouseClick(group.rows[0].keep_button, Qt.MouseButton.LeftButton)
    assert group.row_count() == 2
    assert not group.rows[0].confirm_bar.isVisible()
    assert view.values()["treatment_lines"][0] == {"line_start_date": "2024-01-02"}

    qtbot.mouseClick(group.rows[0].remove_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(group.rows[0].confirm_remove_button, Qt.MouseButton.LeftButton)
    assert group.row_count() == 1
    assert view.values()["treatment_lines"] == [{}]


def test_tab_runs_through_the_rows_in_order_and_reaches_add(qtbot) -> None:
    view, group = _lines(qtbot)
    group.add_row()
    group.add_row()
    first = view.field_widget("treatment_lines[0].line_regimen").edit
    first.setFocus()
    qtbot.waitUntil(first.hasFocus)
    reached = [first]
    for _ in range(60):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        reached.append(QApplication.focusWidget())
        if reached[-1] is group.add_button:
            break
    assert reached[-1] is group.add_button
    row_of = {
        id(w): index for index, row in enumerate(group.rows) for w in row.findChildren(QWidget)
    }
    rows_in_order = [row_of[id(w)] for w in reached if id(w) in row_of]
    assert rows_in_order == sorted(rows_in_order)  # row 1's stops, then row 2's
    assert all(id(w) in row_of for w in reached[:-1])  # nothing outside the rows between
    assert reached[-2] is group.rows[1].remove_button  # each row ends with its Remove
    assert group.rows[1].remove_button in reached


# Computed fields -----------------------------------------------------------------------


def test_ipi_score_updates_as_its_factors_are_answered(qtbot) -> None:
    definition = _CATALOGUE.latest("lymphoid", "assessment")
    view = _view(qtbot, definition)
    ipi = view.field_widget("ipi_score")
    assert isinstance(ipi, ComputedWidget)
    assert ipi.display.text() == "—"
    assert ipi._note.isVisible()
    assert ipi._note.text().startswith("Fill in ")
    assert not ipi.display.focusPolicy() & Qt.FocusPolicy.TabFocus  # nothing to type

    old = generate_identity_number(random.Random(1), birth_date=datetime.date(1950, 3, 1))
    answers = {
        "patient_id": old,
        "diagnosis_date": "2024-01-10",
        "ldh_elevated": "1",
        "ecog": "1",
        "ann_arbor_stage": "IV",
    }
    _fill(view, answers)
    assert ipi.display.text() == "—"  # extranodal sites still missing
    assert "Extranodal" in ipi._note.text() or "extranodal" in ipi._note.text()

    _fill(view, {"extranodal_sites": 2})
    assert ipi.display.text() == "4"  # age > 60, LDH, stage IV, > 1 extranodal site
    assert not ipi._note.isVisible()
    _fill(view, {"ldh_elevated": "0"})
    assert ipi.display.text() == "3"
    assert "ipi_score" not in view.values()  # computed: left to the engine


def test_age_at_diagnosis_from_identity_number_and_diagnosis_date(qtbot) -> None:
    definition = _CATALOGUE.latest("childhood", "assessment")
    view = _view(qtbot, definition)
    age = view.field_widget("age_at_diagnosis")
    assert age.display.text() == "—"
    number = generate_identity_number(random.Random(2), birth_date=datetime.date(2015, 6, 15))
    qtbot.keyClicks(view.field_widget("patient_id").edit, number)
    assert age.display.text() == "—"
    qtbot.keyClicks(view.field_widget("diagnosis_date").edit, "2024-06-14")
    assert age.display.text() == "8"
    date_edit = view.field_widget("diagnosis_date").edit
    date_edit.clear()
    qtbot.keyClicks(date_edit, "2024-06-15")
    assert age.display.text() == "9"


def test_a_childhood_patient_of_18_gets_the_age_problem_on_the_computed_field(qtbot) -> None:
    definition = _CATALOGUE.latest("childhood", "assessment")
    values = example_values(definition, random.Random(4))
    values["patient_id"] = generate_identity_number(
        random.Random(3), birth_date=datetime.date(2000, 1, 1)
    )
    view = _view(qtbot, definition, "en", values)
    view.show_all_issues()
    age = view.field_widget("age_at_diagnosis")
    assert age.issues(), "18 or older at diagnosis must be refused"
    assert "age_at_diagnosis" in view.summary.paths()
    assert view.focus_field("age_at_diagnosis")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is age.display)
