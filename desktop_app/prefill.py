"""First answers a new draft gets from who is signed in: the reporting institution (region,
hospital and department of the user's unit), the reporter's name and today's date.

The department is filled in only when the unit's department is a code of the form's
department list (the server refuses a message for another unit's hospital or department,
registry_server/reporting_unit.py). The HPR number is left to the user: it is personal and not
part of the server's user profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

from desktop_app.forms import FieldDef, FilterBy, FormDefinition
from desktop_app.forms.conditions import is_answered

# The common envelope's field ids (resources/forms/_fragments/envelope.json).
HOSPITAL_FIELD = "hospital"
DEPARTMENT_FIELD = "department"
REPORTER_NAME_FIELD = "reporter_name"
REPORT_DATE_FIELD = "report_date"


class SessionLike(Protocol):
    """The part of ``desktop_app.auth.Session`` prefilling reads."""

    display_name: str
    unit: dict


def envelope_defaults(
    definition: FormDefinition, session: SessionLike, today: date
) -> dict[str, Any]:
    """{field id: value} for the envelope fields this form has and the session can answer
    validly; a field is left out rather than given a value its form would refuse."""
    defaults: dict[str, Any] = {}
    unit: Mapping[str, Any] = session.unit or {}

    hospital = _top_level(definition, HOSPITAL_FIELD)
    hospital_code = str(unit.get("hospital_code") or "").strip()
    if hospital is not None and hospital_code:
        entry = hospital.entry(hospital_code)
        if entry is not None:
            defaults[hospital.id] = entry.code
            # The hospital list says which region each hospital is in (its filter_by), so the
            # region follows from the data, not from a table here.
            filter_by = hospital.filter_by
            if filter_by is not None:
                region_code = _filtering_answer(definition, filter_by, entry.attributes)
                if region_code is not None:
                    defaults[filter_by.field] = region_code

    department = _top_level(definition, DEPARTMENT_FIELD)
    department_code = str(unit.get("department") or "").strip()
    if department is not None and department_code and department.entry(department_code):
        defaults[department.id] = department.entry(department_code).code  # type: ignore[union-attr]

    reporter = _top_level(definition, REPORTER_NAME_FIELD)
    name = (session.display_name or "").strip()
    if (
        reporter is not None
        and reporter.type == "text"
        and name
        and (reporter.max_length is None or len(name) <= reporter.max_length)
    ):
        defaults[reporter.id] = name

    report_date = _top_level(definition, REPORT_DATE_FIELD)
    if report_date is not None and report_date.type == "date":
        defaults[report_date.id] = today.isoformat()
    return defaults


def with_defaults(values: Mapping[str, Any] | None, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """`values` plus every default whose field `values` leaves unanswered (given answers win)."""
    merged = dict(values or {})
    for key, value in defaults.items():
        if not is_answered(merged.get(key)):
            merged[key] = value
    return merged


def _top_level(definition: FormDefinition, field_id: str) -> FieldDef | None:
    if not (definition.has_field(field_id) and definition.is_top_level(field_id)):
        return None
    return definition.field(field_id)


def _filtering_answer(
    definition: FormDefinition, filter_by: FilterBy, attributes: Mapping[str, Any]
) -> str | None:
    """The answer of the field `filter_by` names that lets the chosen entry through, when the
    form has that field and the answer is one of its codes."""
    target = _top_level(definition, filter_by.field)
    value = attributes.get(filter_by.attribute)
    if target is None or value is None or target.entry(str(value)) is None:
        return None
    return str(value)
