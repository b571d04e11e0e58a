"""Form definitions, their code lists, and the one validation engine (client and server).

Plain Python: no Qt, no HTTP. See docs/architecture.md, "desktop_app.forms".
"""

from .canonical import body_sha256, canonical_body
from .catalogue import Catalogue, load_catalogue, load_code_lists, load_definition
from .codelists import CodeEntry, CodeList, load_code_list
from .conditions import Condition, condition_fields, evaluate_condition, is_answered
from .errors import DefinitionError
from .examples import example_values
from .identity import (
    birth_date_of,
    gender_of,
    generate_identity_number,
    identity_kind,
    identity_number_problem,
    is_valid_identity_number,
    normalize_identity_number,
)
from .issues import ERROR, WARNING, Issue
from .messages import load_messages, message_text
from .model import (
    CHOICE_TYPES,
    FIELD_TYPES,
    CheckDef,
    FieldDef,
    FilterBy,
    FormDefinition,
    SectionDef,
)
from .text import LANGUAGES, localized
from .validation import check_value, has_errors, validate

__all__ = [
    "CHOICE_TYPES",
    "ERROR",
    "FIELD_TYPES",
    "LANGUAGES",
    "WARNING",
    "Catalogue",
    "CheckDef",
    "CodeEntry",
    "CodeList",
    "Condition",
    "DefinitionError",
    "FieldDef",
    "FilterBy",
    "FormDefinition",
    "Issue",
    "SectionDef",
    "birth_date_of",
    "body_sha256",
    "canonical_body",
    "check_value",
    "condition_fields",
    "evaluate_condition",
    "example_values",
    "gender_of",
    "generate_identity_number",
    "has_errors",
    "identity_kind",
    "identity_number_problem",
    "is_answered",
    "is_valid_identity_number",
    "load_catalogue",
    "load_code_list",
    "load_code_lists",
    "load_definition",
    "load_messages",
    "localized",
    "message_text",
    "normalize_identity_number",
    "validate",
]
