"""Every field type of the contract and the widget class that shows it."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from desktop_app.forms import FieldDef

from .computed_widget import ComputedWidget
from .field_widgets import SIMPLE_WIDGET_TYPES, FieldWidget, UnknownFieldTypeError
from .repeat_group import RepeatGroupWidget

WIDGET_TYPES: dict[str, type[FieldWidget]] = {
    **SIMPLE_WIDGET_TYPES,
    "computed": ComputedWidget,
    "repeat_group": RepeatGroupWidget,
}


def create_field_widget(field: FieldDef, lang: str, parent: QWidget | None = None) -> FieldWidget:
    """The widget for `field`; UnknownFieldTypeError names the field if its type has none."""
    widget_class = WIDGET_TYPES.get(field.type)
    if widget_class is None:
        raise UnknownFieldTypeError(
            f"Field {field.id!r} has type {field.type!r}, which the form renderer cannot show "
            f"(known types: {', '.join(sorted(WIDGET_TYPES))}). Update the application."
        )
    return widget_class(field, lang, parent)
