"""The generic form renderer: form definitions (data) in, PySide6 widgets out."""

from .computed_widget import ComputedWidget
from .field_widgets import FieldWidget, UnknownFieldTypeError
from .form_view import FormView
from .repeat_group import RepeatGroupWidget
from .widget_types import WIDGET_TYPES, create_field_widget

__all__ = [
    "WIDGET_TYPES",
    "ComputedWidget",
    "FieldWidget",
    "FormView",
    "RepeatGroupWidget",
    "UnknownFieldTypeError",
    "create_field_widget",
]
