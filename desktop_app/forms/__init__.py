"""Form definitions, their code lists, and the one validation engine (client and server).

Plain Python: no Qt, no HTTP. See docs/architecture.md, "desktop_app.forms".
"""

from .canonical import body_sha256, canonical_body
from .catalogue import Catalogue, load_catalogue, load_code_lists, load_definition
from .codelists import CodeEntry, CodeList, load_code_list
from .computed import age_at, evaluate_expression, expression_fields
from .conditions import Condition, condition_fields, evaluate_condition, is_answered
from .errors import DefinitionError
from .examples import example_values
from .fragments import expand_includes, load_fragments
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
from .migration import Change, Migration, MigrationDef
from .model import (
    CHOICE_TYPES,
    FIELD_TYPES,
    TRANSFER_TARGETS,
    CheckDef,
    FieldDef,
    FilterBy,
    FormDefinition,
    SectionDef,
    compute_values,
    transfer_flags,
)
from .registries import RegistryDef, RegistryIndex, load_registries
from .text import LANGUAGES, localized
from .validation import check_value, group_issues, has_errors, row_issues, validate

__all__ = [
    "CHOICE_TYPES",
    "ERROR",
    "FIELD_TYPES",
    "LANGUAGES",
    "TRANSFER_TARGETS",
    "WARNING",
    "Catalogue",
    "Change",
    "CheckDef",
    "CodeEntry",
    "CodeList",
    "Condition",
    "DefinitionError",
    "FieldDef",
    "FilterBy",
    "FormDefinition",
    "Issue",
    "Migration",
    "MigrationDef",
    "RegistryDef",
    "RegistryIndex",
    "SectionDef",
    "age_at",
    "birth_date_of",
    "body_sha256",
    "canonical_body",
    "check_value",
    "compute_values",
    "condition_fields",
    "evaluate_condition",
    "evaluate_expression",
    "example_values",
    "expand_includes",
    "expression_fields",
    "gender_of",
    "generate_identity_number",
    "group_issues",
    "has_errors",
    "identity_kind",
    "identity_number_problem",
    "is_answered",
    "is_valid_identity_number",
    "load_catalogue",
    "load_code_list",
    "load_code_lists",
    "load_definition",
    "load_fragments",
    "load_messages",
    "load_registries",
    "localized",
    "message_text",
    "normalize_identity_number",
    "row_issues",
    "transfer_flags",
    "validate",
]
