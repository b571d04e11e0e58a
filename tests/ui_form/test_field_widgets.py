"""Each field widget alone: set_value/value round trips, raw input kept, the type registry."""

from __future__ import annotations

import random

import pytest
from PySide6.QtCore import Qt

from desktop_app.forms import FIELD_TYPES, FieldDef, Issue, compute_values, example_values
from ui.form_renderer import WIDGET_TYPES, FormView, UnknownFieldTypeError, create_field_widget
from ui.form_renderer.number_text import format_number, parse_decimal, parse_integer

pytestmark = pytest.mark.gui


def _widget(qtbot, field: FieldDef, lang: str = "en"):
    widget = create_field_widget(field, lang)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_every_contract_field_type_has_a_widget() -> None:
    assert set(FIELD_TYPES) <= set(WIDGET_TYPES)


def test_unknown_field_type_names_the_field(qtbot) -> None:
    field = FieldDef(id="signature", type="signature_pad", label={"en": "Signature"})
    with pytest.raises(UnknownFieldTypeError, match=r"'signature'.*'signature_pad'"):
        create_field_widget(field, "en")


@pytest.mark.parametrize(
    ("registry", "form"),
    [("breast", "assessment"), ("lymphoid", "assessment"), ("childhood", "treatment")],
)
def test_example_report_round_trips_through_every_widget(qtbot, catalogue, registry, form) -> None:
    """Every answer of a valid example (computed values and repeat-group rows too) comes
    back from its widget as it went in."""
    definition = catalogue.latest(registry, form)
    seen_types = set()
    for seed in range(3):
        values = compute_values(definition, example_values(definition, random.Random(seed)))
        values["patient_no_norwegian_id"] = ["1"]  # the examples leave it unanswered
        for field_id, value in values.items():
            if value is None:
                continue  # a computed field that cannot be computed from this example
            field = definition.field(field_id)
            widget = _widget(qtbot, field)
            widget.set_value(value)
            assert widget.value() == value, field_id
            seen_types.add(field.type)
    assert seen_types <= set(FIELD_TYPES)
    if registry == "breast":
        assert seen_types == set(FIELD_TYPES) - {"computed", "repeat_group"}


def test_the_example_forms_together_use_every_field_type(catalogue) -> None:
    used = {
        f.type
        for registry, form in [
            ("breast", "assessment"),
            ("lymphoid", "assessment"),
            ("childhood", "treatment"),
        ]
        for f in catalogue.latest(registry, form).all_fields()
    }
    assert used == set(FIELD_TYPES)


@pytest.mark.parametrize(
    ("field_id", "value"),
    [
        ("er_percent", "12a"),  # raw text saved in an earlier session
        ("tumour_size_mm", "about 3"),
        ("diagnosis_date", "2024-02-30"),
        ("icd10", "C99.9"),
        ("laterality", "no-longer-an-option"),
        ("mri_done", "2"),
        ("patient_no_norwegian_id", ["1", "zz"]),
    ],
)
def test_stored_odd_values_are_shown_and_kept(qtbot, breast, field_id, value) -> None:
    widget = _widget(qtbot, breast.field(field_id))
    widget.set_value(value)
    assert widget.value() == value


def test_unanswered_is_none_for_every_widget(qtbot, breast) -> None:
    for field in breast.fields():
        widget = _widget(qtbot, field)
        widget.set_value("x" if field.type == "text" else None)
        widget.set_value(None)
        assert widget.value() is None, field.id


def test_set_value_does_not_emit_changed_but_typing_does(qtbot, breast) -> None:
    widget = _widget(qtbot, breast.field("reporter_name"))
    with qtbot.assertNotEmitted(widget.changed):
        widget.set_value("Dr. Test")
    with qtbot.waitSignal(widget.changed, timeout=1000):
        qtbot.keyClicks(widget.edit, "x")
    assert widget.value() == "Dr. Testx"


def test_yes_no_unknown_can_be_cleared(qtbot, breast) -> None:
    widget = _widget(qtbot, breast.field("mri_done"))
    assert not widget.clear_button.isEnabled()
    qtbot.mouseClick(widget.buttons["99"], Qt.MouseButton.LeftButton)
    assert widget.value() == "99"
    assert widget.clear_button.isEnabled()
    with qtbot.waitSignal(widget.changed, timeout=1000):
        qtbot.mouseClick(widget.clear_button, Qt.MouseButton.LeftButton)
    assert widget.value() is None
    assert widget.group.checkedButton() is None


def test_yes_no_unknown_labels_follow_the_language(qtbot, breast) -> None:
    widget = _widget(qtbot, breast.field("mri_done"), lang="nb")
    assert [b.text() for b in widget.buttons.values()] == ["Ja", "Nei", "Ukjent"]


def test_single_choice_starts_empty_and_can_go_back_to_empty(qtbot, breast) -> None:
    widget = _widget(qtbot, breast.field("laterality"))
    assert widget.value() is None
    widget.combo.setCurrentIndex(1)
    assert widget.value() is not None
    widget.combo.setCurrentIndex(0)
    assert widget.value() is None


def test_multiple_choice_lists_codes(qtbot, breast) -> None:
    widget = _widget(qtbot, breast.field("patient_no_norwegian_id"))
    assert widget.value() is None
    next(iter(widget.boxes.values())).setChecked(True)
    assert widget.value() == ["1"]


def test_date_is_empty_until_answered_and_accepts_norwegian_order(qtbot, breast) -> None:
    widget = _widget(qtbot, breast.field("report_date"))
    assert widget.value() is None
    assert widget.edit.placeholderText() == "YYYY-MM-DD"
    qtbot.keyClicks(widget.edit, "31.1.2024")
    assert widget.value() == "2024-01-31"
    widget.edit.editingFinished.emit()
    assert widget.edit.text() == "2024-01-31"


def test_date_from_the_calendar(qtbot, breast) -> None:
    from PySide6.QtCore import QDate

    widget = _widget(qtbot, breast.field("report_date"))
    widget._picked(QDate(2024, 3, 5))
    assert widget.value() == "2024-03-05"


def test_issues_render_under_the_field_with_warning_marked(qtbot, breast) -> None:
    widget = _widget(qtbot, breast.field("tumour_size_mm"))
    widget.show()
    warning = Issue("tumour_size_mm", "warning", "check:big", {}, {"en": "Unusually large."})
    widget.set_issues([warning], "en")
    assert widget._issue_label.text() == "Warning: Unusually large."
    assert widget.edit.property("issue") == "warning"
    widget.set_issues([], "en")
    assert not widget._issue_label.isVisible()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", None), (" 42 ", 42), ("-3", -3), ("1 234", 1234), ("12a", "12a"), ("1.5", "1.5")],
)
def test_parse_integer(text, expected) -> None:
    assert parse_integer(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12,5", 12.5), ("12.5", 12.5), (",5", 0.5), ("3", 3), ("1,2,3", "1,2,3"), ("x", "x")],
)
def test_parse_decimal(text, expected) -> None:
    assert parse_decimal(text) == expected


@pytest.mark.parametrize("value", [12.5, 0.1, 1e-7, 3, 123456789.125])
@pytest.mark.parametrize("lang", ["en", "nb"])
def test_format_then_parse_decimal_round_trips(value, lang) -> None:
    assert parse_decimal(format_number(value, lang)) == value


def test_form_view_round_trips_a_complete_report(qtbot, breast, valid_values) -> None:
    view = FormView(breast, valid_values, "en")
    qtbot.addWidget(view)
    assert view.values() == valid_values
    assert view.issues() == []
