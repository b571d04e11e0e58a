"""A message reports for the signed-in user's own unit: its reporting hospital and department
(the envelope's `hospital` and `department`, resources/forms/_fragments/envelope.json) must be
the unit's. Otherwise one unit could file messages, and so receipts and statistics, in
another's name."""

from __future__ import annotations

from typing import Any

from desktop_app.forms import FormDefinition
from desktop_app.forms.issues import ERROR, Issue
from registry_server.submission_parsing import SubmissionRefused
from registry_server.tokens import Principal

HOSPITAL_FIELD = "hospital"
DEPARTMENT_FIELD = "department"

_TEXTS = {
    HOSPITAL_FIELD: {
        "en": "You can only report for your own unit's hospital ({expected}).",
        "nb": "Du kan bare melde for din egen enhets sykehus ({expected}).",
    },
    DEPARTMENT_FIELD: {
        "en": "You can only report for your own unit's department ({expected}).",
        "nb": "Du kan bare melde for din egen enhets avdeling ({expected}).",
    },
}


def check_reporting_unit(
    definition: FormDefinition, values: dict[str, Any], principal: Principal
) -> None:
    """A 422 with an issue on each envelope field that names another hospital or department
    than the user's unit. A principal without unit codes (server-side callers) is not checked."""
    expected = {HOSPITAL_FIELD: principal.hospital_code, DEPARTMENT_FIELD: principal.department}
    issues = [
        Issue(field_id, ERROR, "reporting_unit", {"expected": code}, _TEXTS[field_id])
        for field_id, code in expected.items()
        if code
        and definition.has_field(field_id)
        and definition.is_top_level(field_id)
        and values.get(field_id) != code
    ]
    if issues:
        fields = " and ".join(issue.path for issue in issues)
        raise SubmissionRefused(
            422,
            f"The message reports for another unit than yours ({fields}); set the reporting "
            f"hospital to {principal.hospital_code} and the department to "
            f"{principal.department}, your unit's, and send it again.",
            issues=[issue.to_dict() for issue in issues],
        )
