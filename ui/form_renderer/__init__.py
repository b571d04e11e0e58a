"""The generic form renderer: form definitions (data) in, PySide6 widgets out."""

from .field_widgets import (
    WIDGET_TYPES,
    FieldWidget,
    UnknownFieldTypeError,
    create_field_widget,
)
from .form_view import FormView

__all__ = [
    "WIDGET_TYPES",
    "FieldWidget",
    "FormView",
    "UnknownFieldTypeError",
    "create_field_widget",
]
