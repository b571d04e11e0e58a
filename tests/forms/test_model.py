"""The model: what the renderer needs from a FieldDef, and clear errors for bad definitions."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from desktop_app.forms import (
    Catalogue,
    DefinitionError,
    FormDefinition,
    load_catalogue,
    validate,
)

from .conftest import TODAY


def test_field_conveniences(breast: FormDefinition) -> None:
    er = breast.field("er_percent")
    assert (er.type, er.unit, er.min, er.max, er.required) == ("integer", "%", 0, 100, True)
    assert er.label_text("nb") == "Østrogenreseptor (ER)"
    assert "1 %" in er.help_text("en")
    assert breast.field("report_date").placeholder_text("nb") == "ÅÅÅÅ-MM-DD"
    assert breast.field("mri_done").choices("nb") == [("1", "Ja"), ("0", "Nei"), ("99", "Ukjent")]
    assert breast.field("laterality").choices("en")[0] == ("right", "Right")
    assert breast.field("laterality").choice_label("left", "nb") == "Venstre"
    assert breast.section_of("icd10").id == "diagnosis"
    with pytest.raises(KeyError):
        breast.field("nope")


def test_code_list_fields_are_resolved(breast: FormDefinition) -> None:
    icd = breast.field("icd10")
    assert icd.is_searchable and icd.codes is breast.code_list("icd10_breast")
    assert ("C50.9", "Bryst, uspesifisert") in icd.choices("nb")
    assert not breast.field("laterality").is_searchable
    department = breast.field("department")
    assert department.type == "single_choice" and ("oncology", "Oncology") in department.choices()


def test_hospital_choices_follow_region(breast: FormDefinition) -> None:
    hospital = breast.field("hospital")
    assert len(hospital.choices("en")) == 62
    north = hospital.choices("en", {"region": "4"})
    assert len(north) == 12 and ("1903", "Universitetssykehuset Nord-Norge, Tromsø") in north


def test_round_trip_through_json_with_embedded_code_lists(breast: FormDefinition, valid) -> None:
    data = json.loads(json.dumps(breast.to_dict()))
    assert set(data["code_lists"]) == {"icd10_breast", "hospitals", "regions", "departments"}
    copy_ = FormDefinition.from_dict(data)  # no catalogue: the embedded lists suffice
    assert [f.id for f in copy_.fields()] == [f.id for f in breast.fields()]
    assert copy_.field("icd10").choices("nb") == breast.field("icd10").choices("nb")
    valid["icd10"] = "C18.0"
    assert validate(copy_, valid, TODAY) == validate(breast, valid, TODAY)
    assert "code_lists" not in breast.to_dict(include_code_lists=False)


# --- malformed definitions --------------------------------------------------------------

FORM_PATH = Path("breast") / "assessment.v1.json"


def write_catalogue(tmp_path: Path, breast: FormDefinition, change) -> Path:
    data = breast.to_dict(include_code_lists=False)
    change(data)
    path = tmp_path / FORM_PATH
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return tmp_path


def field_of(data: dict, field_id: str) -> dict:
    return next(f for s in data["sections"] for f in s["fields"] if f["id"] == field_id)


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        (
            lambda d: field_of(d, "icd10").update(requried=True),
            "sections[3].fields[1].requried",
            "unknown key",
        ),
        (
            lambda d: field_of(d, "patient_name")["label"].pop("nb"),
            "sections[0].fields[3].label",
            '"nb"',
        ),
        (lambda d: field_of(d, "er_percent").update(type="percent"), ".type", "not one of"),
        (
            lambda d: field_of(d, "er_percent").update(min="0"),
            "sections[4].fields[0].min",
            "must be int",
        ),
        (
            lambda d: field_of(d, "icd10").update(code_list="icd10_nowhere"),
            "sections[3].fields[1].code_list",
            "icd10_nowhere",
        ),
        (
            lambda d: field_of(d, "her2_ish").update(
                relevant={"field": "her2_ihc", "op": "equals", "value": "2+"}
            ),
            "sections[4].fields[3].relevant.op",
            "must be one of",
        ),
        (
            lambda d: field_of(d, "her2_ish").update(
                relevant={"field": "her2_ihc", "op": "eq", "value": "2"}
            ),
            "sections[4].fields[3].relevant",
            "'2' is not a code of field 'her2_ihc'",
        ),
        (
            lambda d: field_of(d, "her2_ihc").update(
                relevant={"field": "her2_ish", "op": "answered"}
            ),
            "sections[4].fields[2].relevant",
            "not an earlier field",
        ),
        (
            lambda d: d["checks"][0]["assert"].update(field="diagnosis_day"),
            "checks[0].assert",
            "'diagnosis_day'",
        ),
        (lambda d: d["checks"].append(copy.deepcopy(d["checks"][0])), "checks", "duplicate"),
        (lambda d: d.update(version=2), "registry/form/version", "file's place and name"),
        (
            lambda d: d["sections"][1]["fields"].append(copy.deepcopy(field_of(d, "icd10"))),
            "sections[3].fields[1].id",
            "duplicate field id",
        ),
    ],
)
def test_malformed_definition_names_file_and_key(
    tmp_path: Path, breast: FormDefinition, change, key: str, problem: str
) -> None:
    forms_dir = write_catalogue(tmp_path, breast, change)
    with pytest.raises(DefinitionError) as caught:
        load_catalogue(forms_dir)
    message = str(caught.value)
    assert str(forms_dir / FORM_PATH) in message
    assert key in caught.value.key
    assert problem in message


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / FORM_PATH
    path.parent.mkdir(parents=True)
    path.write_text('{"registry": "breast",\n "form": }', encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"assessment\.v1\.json: line 2"):
        load_catalogue(tmp_path)


def test_copy_of_shipped_definition_loads(tmp_path: Path, breast: FormDefinition) -> None:
    forms_dir = write_catalogue(tmp_path, breast, lambda d: None)
    loaded: Catalogue = load_catalogue(forms_dir)
    assert loaded.get("breast", "assessment", 1).to_dict() == breast.to_dict()
