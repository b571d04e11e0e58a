"""Repeat groups, computed fields and transfer flags, on a small synthetic definition."""

from __future__ import annotations

import copy
import datetime
import random
from typing import Any

import pytest

from desktop_app.forms import (
    DefinitionError,
    FormDefinition,
    compute_values,
    example_values,
    generate_identity_number,
    transfer_flags,
    validate,
)

from .conftest import TODAY


def _t(text: str) -> dict[str, str]:
    return {"nb": text, "en": text}


def _message() -> dict[str, str]:
    return {"nb": "Feil.", "en": "Wrong."}


YNU = "yes_no_unknown"
SPEC: dict[str, Any] = {
    "registry": "lymphoid",
    "form": "treatment",
    "version": 1,
    "title": _t("Test"),
    "pathway_step": "treatment",
    "transfer": {"nopho_care": {"field": "reservation", "op": "eq", "value": "0"}},
    "sections": [
        {
            "id": "main",
            "title": _t("Main"),
            "fields": [
                {
                    "id": "patient_id",
                    "type": "identity_number",
                    "label": _t("Id"),
                    "required": True,
                },
                {"id": "diagnosis_date", "type": "date", "label": _t("D"), "required": True},
                {
                    "id": "age_at_diagnosis",
                    "type": "computed",
                    "label": _t("Age"),
                    "unit": "years",
                    "compute": {
                        "age_at": {"identity_field": "patient_id", "date_field": "diagnosis_date"}
                    },
                },
                {"id": "ldh_high", "type": YNU, "label": _t("LDH"), "required": True},
                {"id": "stage_advanced", "type": YNU, "label": _t("III-IV"), "required": True},
                {
                    "id": "score",
                    "type": "computed",
                    "label": _t("Score"),
                    "compute": {
                        "count": [
                            {"field": "age_at_diagnosis", "op": "gt", "value": 60},
                            {"field": "ldh_high", "op": "eq", "value": "1"},
                            {"field": "stage_advanced", "op": "eq", "value": "1"},
                        ]
                    },
                },
                {
                    "id": "lines",
                    "type": "repeat_group",
                    "label": _t("Lines"),
                    "min_rows": 1,
                    "max_rows": 3,
                    "row_label": {"nb": "Linje {n}", "en": "Line {n}"},
                    "fields": [
                        {
                            "id": "regimen",
                            "type": "single_choice",
                            "label": _t("Regimen"),
                            "required": True,
                            "options": [
                                {"code": "R-CHOP", "label": _t("R-CHOP")},
                                {"code": "ABVD", "label": _t("ABVD")},
                            ],
                        },
                        {"id": "start_date", "type": "date", "label": _t("S"), "required": True},
                        {"id": "cycles", "type": "integer", "label": _t("C"), "min": 1, "max": 12},
                        {"id": "radiotherapy", "type": YNU, "label": _t("RT"), "required": True},
                        {
                            "id": "dose_gy",
                            "type": "decimal",
                            "label": _t("Dose"),
                            "unit": "Gy",
                            "min": 1,
                            "max": 80,
                            "required": True,
                            "relevant": {"field": "radiotherapy", "op": "eq", "value": "1"},
                        },
                        {
                            "id": "row_count",
                            "type": "computed",
                            "label": _t("n"),
                            "compute": {
                                "count": [{"field": "radiotherapy", "op": "eq", "value": "1"}]
                            },
                        },
                    ],
                    "checks": [
                        {
                            "id": "start_not_before_diagnosis",
                            "field": "start_date",
                            "assert": {
                                "field": "start_date",
                                "op": "ge",
                                "value": {"field": "diagnosis_date"},
                            },
                            "message": _message(),
                        }
                    ],
                },
                {"id": "reservation", "type": YNU, "label": _t("Reserved"), "required": True},
            ],
        }
    ],
    "checks": [
        {
            "id": "under_18",
            "field": "age_at_diagnosis",
            "assert": {"field": "age_at_diagnosis", "op": "lt", "value": 18},
            "message": _message(),
        }
    ],
}


@pytest.fixture(scope="module")
def form() -> FormDefinition:
    return FormDefinition.from_dict(SPEC)


def _child_id(birth: datetime.date = datetime.date(2015, 4, 2)) -> str:
    return generate_identity_number(random.Random(3), birth)


def _valid() -> dict[str, Any]:
    return {
        "patient_id": _child_id(),
        "diagnosis_date": "2025-01-10",
        "ldh_high": "1",
        "stage_advanced": "0",
        "lines": [
            {"regimen": "R-CHOP", "start_date": "2025-01-20", "cycles": 6, "radiotherapy": "0"},
            {"regimen": "ABVD", "start_date": "2025-05-01", "radiotherapy": "1", "dose_gy": 30},
        ],
        "reservation": "0",
    }


def _keys(issues) -> list[tuple[str, str]]:
    return [(i.path, i.key) for i in issues]


def test_fields_all_fields_and_lookup(form: FormDefinition) -> None:
    top = [f.id for f in form.fields()]
    assert top == [
        "patient_id",
        "diagnosis_date",
        "age_at_diagnosis",
        "ldh_high",
        "stage_advanced",
        "score",
        "lines",
        "reservation",
    ]
    every = [f.id for f in form.all_fields()]
    assert every[top.index("lines") + 1 : top.index("lines") + 7] == [
        "regimen",
        "start_date",
        "cycles",
        "radiotherapy",
        "dose_gy",
        "row_count",
    ]
    group = form.field("lines")
    assert group.fields[0].id == "regimen"
    assert form.field("dose_gy").unit == "Gy"
    assert form.group_of("dose_gy") is group and form.group_of("score") is None
    assert form.section_of("dose_gy").id == "main"
    assert group.row_label_text(2, "nb") == "Linje 2"
    assert (group.min_rows, group.max_rows) == (1, 3)


def test_valid_message_and_computed_values(form: FormDefinition) -> None:
    values = _valid()
    assert validate(form, values, TODAY) == []
    filled = compute_values(form, values)
    assert filled["age_at_diagnosis"] == 9
    assert filled["score"] == 1
    assert [row["row_count"] for row in filled["lines"]] == [0, 1]
    assert "age_at_diagnosis" not in values  # the input is not changed
    assert validate(form, filled, TODAY) == []
    sent = form.submitted_values(values)
    assert sent["age_at_diagnosis"] == 9 and sent["score"] == 1
    assert sent["lines"][0] == {
        "regimen": "R-CHOP",
        "start_date": "2025-01-20",
        "cycles": 6,
        "radiotherapy": "0",
        "row_count": 0,
    }


def test_computed_waits_for_its_inputs(form: FormDefinition) -> None:
    values = _valid()
    del values["ldh_high"]
    filled = compute_values(form, values)
    assert filled["score"] is None and filled["age_at_diagnosis"] == 9
    values = _valid()
    values["patient_id"] = values["patient_id"][:-1] + str((int(values["patient_id"][-1]) + 1) % 10)
    filled = compute_values(form, values)
    assert filled["age_at_diagnosis"] is None and filled["score"] is None


def test_computed_mismatch_and_checks_on_computed(form: FormDefinition) -> None:
    values = _valid()
    values["score"] = 3
    values["lines"][1]["row_count"] = 0
    issues = validate(form, values, TODAY)
    assert _keys(issues) == [
        ("score", "computed.mismatch"),
        ("lines[1].row_count", "computed.mismatch"),
    ]
    assert issues[0].params == {"sent": "3", "computed": "1"}
    assert "1" in issues[0].message("en")

    values = _valid()
    values["patient_id"] = _child_id(datetime.date(1990, 1, 1))
    assert _keys(validate(form, values, TODAY)) == [("age_at_diagnosis", "check:under_18")]


def test_row_issue_paths(form: FormDefinition) -> None:
    values = _valid()
    values["lines"][0]["cycles"] = 40
    del values["lines"][1]["dose_gy"]
    values["lines"][1]["start_date"] = "2024-12-01"
    values["lines"][1]["colour"] = "red"
    assert _keys(validate(form, values, TODAY)) == [
        ("lines[0].cycles", "number.above_max"),
        ("lines[1].colour", "field.unknown"),
        ("lines[1].dose_gy", "required"),
        ("lines[1].start_date", "check:start_not_before_diagnosis"),
    ]


def test_row_relevance(form: FormDefinition) -> None:
    values = _valid()
    values["lines"][0]["dose_gy"] = 50  # radiotherapy "0": hidden, dropped, not checked
    assert validate(form, values, TODAY) == []
    assert "dose_gy" not in form.submitted_values(values)["lines"][0]
    assert not form.is_relevant("lines[0].dose_gy", values)
    assert form.is_relevant("lines[1].dose_gy", values)
    assert form.is_required("lines[1].dose_gy", values)
    assert not form.is_required("lines[0].cycles", values)
    assert form.row_relevance("lines", {"radiotherapy": "1"}, values)["dose_gy"]
    assert form.is_required("lines", values)
    with pytest.raises(KeyError, match="group"):
        form.is_relevant("dose_gy", values)


def test_row_counts_and_shapes(form: FormDefinition) -> None:
    values = _valid()
    values["lines"] = []
    assert _keys(validate(form, values, TODAY)) == [("lines", "repeat.min_rows")]
    values["lines"] = [copy.deepcopy(_valid()["lines"][0]) for _ in range(4)]
    assert _keys(validate(form, values, TODAY)) == [("lines", "repeat.max_rows")]
    values["lines"] = {"regimen": "R-CHOP"}
    assert _keys(validate(form, values, TODAY)) == [("lines", "repeat.invalid")]
    values["lines"] = ["R-CHOP"]
    assert _keys(validate(form, values, TODAY)) == [("lines[0]", "repeat.row_invalid")]
    values["regimen"] = "ABVD"  # a row field at the top level is not a field there
    assert ("regimen", "field.unknown") in _keys(validate(form, values, TODAY))


def test_transfer_flags(form: FormDefinition) -> None:
    values = _valid()
    assert transfer_flags(form, values) == {"nopho_care": True}
    for reserved in ("1", "99"):
        assert transfer_flags(form, {**values, "reservation": reserved}) == {"nopho_care": False}
    del values["reservation"]
    assert transfer_flags(form, values) == {"nopho_care": False}
    no_transfer = FormDefinition.from_dict({k: v for k, v in SPEC.items() if k != "transfer"})
    assert transfer_flags(no_transfer, _valid()) == {"nopho_care": False}


@pytest.mark.parametrize("seed", range(8))
def test_example_values_fill_rows_and_leave_computed(form: FormDefinition, seed: int) -> None:
    values = example_values(form, random.Random(seed), today=TODAY)
    assert 1 <= len(values["lines"]) <= 3
    assert "score" not in values and "age_at_diagnosis" not in values
    assert all("row_count" not in row for row in values["lines"])
    assert validate(form, values, TODAY) == []
    assert validate(form, compute_values(form, values), TODAY) == []


def _field(spec: dict[str, Any], field_id: str) -> dict[str, Any]:
    for field in spec["sections"][0]["fields"]:
        if field["id"] == field_id:
            return field
        for row_field in field.get("fields", []):
            if row_field["id"] == field_id:
                return row_field
    raise KeyError(field_id)


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        (
            lambda d: _field(d, "lines")["fields"].append(copy.deepcopy(_field(d, "lines"))),
            "sections[0].fields[6].fields[6].type",
            "cannot hold another repeat group",
        ),
        (
            lambda d: _field(d, "reservation").update(
                relevant={"field": "cycles", "op": "answered"}
            ),
            "sections[0].fields[7].relevant",
            "row field can be read only",
        ),
        (
            lambda d: d["checks"].append({**d["checks"][0], "id": "x", "field": "cycles"}),
            "checks[1].field",
            "put a row check in the repeat group",
        ),
        (
            lambda d: _field(d, "lines")["checks"][0].update(field="reservation"),
            "sections[0].fields[6].checks[0].field",
            "not a field of the group's rows",
        ),
        (
            lambda d: _field(d, "score")["compute"]["count"].append(
                {"field": "reservation", "op": "eq", "value": "1"}
            ),
            "sections[0].fields[5].compute",
            "computed field may read only fields above it",
        ),
        (
            lambda d: _field(d, "age_at_diagnosis")["compute"]["age_at"].update(
                identity_field="diagnosis_date"
            ),
            "sections[0].fields[2].compute.age_at.identity_field",
            "identity_number field",
        ),
        (
            lambda d: _field(d, "score").update(compute={"sum": ["ldh_high"]}),
            "sections[0].fields[5].compute",
            'exactly one of {"count": ...} or {"age_at": ...}',
        ),
        (
            lambda d: _field(d, "score").update(required=True),
            "sections[0].fields[5].required",
            "does not apply to a computed field",
        ),
        (
            lambda d: _field(d, "reservation").update(
                required_if={"field": "lines", "op": "eq", "value": "x"}
            ),
            "sections[0].fields[7].required_if",
            "is a repeat group",
        ),
        (
            lambda d: _field(d, "lines").update(min_rows=4),
            "sections[0].fields[6].max_rows",
            "at least min_rows",
        ),
        (
            lambda d: _field(d, "lines").update(colour="red"),
            "sections[0].fields[6].colour",
            "unknown key",
        ),
        (
            lambda d: _field(d, "cycles").update(id="ldh_high"),
            "sections[0].fields[6].fields[2].id",
            "duplicate field id",
        ),
        (
            lambda d: d.update(transfer={"elsewhere": {"field": "reservation", "op": "answered"}}),
            "transfer.elsewhere",
            "unknown key",
        ),
        (
            lambda d: d["transfer"].update(nopho_care={"field": "nope", "op": "answered"}),
            "transfer.nopho_care",
            "'nope'",
        ),
    ],
)
def test_malformed_groups_and_computed(change, key: str, problem: str) -> None:
    spec = copy.deepcopy(SPEC)
    change(spec)
    with pytest.raises(DefinitionError) as caught:
        FormDefinition.from_dict(spec, source="test.json")
    assert caught.value.key == key
    assert problem in str(caught.value)
