"""The common envelope: `{"include": "envelope"}` and resources/forms/_fragments/envelope.json."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest

from desktop_app.forms import (
    Catalogue,
    DefinitionError,
    FormDefinition,
    example_values,
    load_catalogue,
    load_fragments,
    validate,
)
from desktop_app.resources import resources_dir

from .conftest import TODAY

ENVELOPE_IDS = [
    "patient_id",
    "patient_no_norwegian_id",
    "patient_id_specification",
    "patient_name",
    "region",
    "hospital",
    "institution_name",
    "department",
    "department_other",
    "reporter_name",
    "reporter_hpr",
    "report_date",
    "comment",
]


@pytest.fixture(scope="module")
def v2(catalogue: Catalogue) -> FormDefinition:
    return catalogue.get("breast", "assessment", 2)


def test_include_puts_the_envelope_first(v2: FormDefinition) -> None:
    assert [f.id for f in v2.fields()][: len(ENVELOPE_IDS)] == ENVELOPE_IDS
    assert [s.id for s in v2.sections[:3]] == ["patient", "institution", "reporter"]
    assert "envelope_id_and_no_id" in [c.id for c in v2.checks]
    served = v2.to_dict()
    assert all("include" not in section for section in served["sections"])
    # A served definition needs no fragments: it loads with none at all.
    again = FormDefinition.from_dict(served, fragments={})
    assert [f.id for f in again.all_fields()] == [f.id for f in v2.all_fields()]


def test_specification_only_when_no_norwegian_number(v2: FormDefinition, valid) -> None:
    values = _v2_values(valid)
    assert not v2.is_relevant("patient_id_specification", values)
    assert not v2.is_required("patient_id_specification", values)
    values["patient_id_specification"] = "Passport 123"
    assert "patient_id_specification" not in v2.submitted_values(values)
    assert validate(v2, values, TODAY) == []

    del values["patient_id"], values["patient_id_specification"]
    values["patient_no_norwegian_id"] = ["1"]
    assert v2.is_relevant("patient_id_specification", values)
    assert v2.is_required("patient_id_specification", values)
    assert _keys(validate(v2, values, TODAY)) == [("patient_id_specification", "required")]
    values["patient_id_specification"] = "Passport 123"
    assert validate(v2, values, TODAY) == []


def test_a_number_and_no_number_contradict(v2: FormDefinition, valid) -> None:
    values = _v2_values(valid)
    values.update(patient_no_norwegian_id=["1"], patient_id_specification="Passport 123")
    issues = validate(v2, values, TODAY)
    assert _keys(issues) == [("patient_no_norwegian_id", "check:envelope_id_and_no_id")]
    assert "Fjern nummeret" in issues[0].message("nb")


def test_the_envelope_in_the_fragment_matches_breast_v1(catalogue: Catalogue) -> None:
    """v1 predates the fragment; the envelope ids and types must not drift between them."""
    v1 = catalogue.get("breast", "assessment", 1)
    v2 = catalogue.get("breast", "assessment", 2)
    for field_id in ENVELOPE_IDS:
        assert v1.field(field_id).type == v2.field(field_id).type, field_id
        assert v1.field(field_id).allowed_codes() == v2.field(field_id).allowed_codes()


def test_unknown_include_names_file_and_known_fragments(tmp_path: Path) -> None:
    data = _minimal_form([{"include": "envelop"}])
    with pytest.raises(DefinitionError, match=r"no fragment named 'envelop' \(known: envelope\)"):
        FormDefinition.from_dict(data, source="x.json")
    data = _minimal_form([{"include": "envelope", "title": "x"}])
    with pytest.raises(DefinitionError) as caught:
        FormDefinition.from_dict(data, source="x.json")
    assert caught.value.key == "sections[0].title"


def test_fragment_checks_join_the_forms_own(tmp_path: Path) -> None:
    fragments = {
        "mini": {
            "sections": [_section("s1", "a")],
            "checks": [
                {
                    "id": "a_small",
                    "field": "a",
                    "assert": {"field": "a", "op": "lt", "value": 10},
                    "message": {"nb": "For stort.", "en": "Too large."},
                }
            ],
        }
    }
    data = _minimal_form([{"include": "mini"}, _section("s2", "b")])
    data["checks"] = [
        {
            "id": "b_small",
            "field": "b",
            "assert": {"field": "b", "op": "lt", "value": {"field": "a"}},
            "message": {"nb": "For stort.", "en": "Too large."},
        }
    ]
    definition = FormDefinition.from_dict(data, fragments=fragments)
    assert [c.id for c in definition.checks] == ["b_small", "a_small"]
    assert _keys(validate(definition, {"a": 12, "b": 20}, TODAY)) == [
        ("b", "check:b_small"),
        ("a", "check:a_small"),
    ]


def test_fragments_folder_is_not_a_registry(tmp_path: Path) -> None:
    shipped = load_fragments()
    assert list(shipped) == ["envelope"]
    forms_dir = tmp_path / "forms"
    (forms_dir / "_fragments").mkdir(parents=True)
    (forms_dir / "breast").mkdir()
    shipped_path = resources_dir() / "forms" / "_fragments" / "envelope.json"
    envelope = json.loads(shipped_path.read_text(encoding="utf-8"))
    (forms_dir / "_fragments" / "envelope.json").write_text(json.dumps(envelope), encoding="utf-8")
    original = load_catalogue().get("breast", "assessment", 2).to_dict(include_code_lists=False)
    own = copy.deepcopy(original)
    own.pop("migration")
    own["version"] = 1
    own["sections"] = [{"include": "envelope"}, *original["sections"][3:]]
    own["checks"] = [c for c in own["checks"] if c["id"] != "envelope_id_and_no_id"]
    (forms_dir / "breast" / "assessment.v1.json").write_text(json.dumps(own), encoding="utf-8")
    loaded = load_catalogue(forms_dir)
    assert [d.key for d in loaded.forms()] == [("breast", "assessment", 1)]
    assert loaded.get("breast", "assessment", 1).fields()[0].id == "patient_id"
    # A fragment without a source is refused like any resource without one.
    del envelope["source"]
    (forms_dir / "_fragments" / "envelope.json").write_text(json.dumps(envelope), encoding="utf-8")
    with pytest.raises(DefinitionError, match="source"):
        load_catalogue(forms_dir)


def _v2_values(valid: dict[str, object]) -> dict[str, object]:
    values = dict(valid)
    values["detection_method"] = values.pop("detection")
    values["histological_type"] = "8500/3"
    values.pop("ki67_percent", None)
    return values


def _keys(issues) -> list[tuple[str, str]]:
    return [(i.path, i.key) for i in issues]


def _section(section_id: str, field_id: str) -> dict[str, object]:
    return {
        "id": section_id,
        "title": {"nb": section_id, "en": section_id},
        "fields": [{"id": field_id, "type": "integer", "label": {"nb": "A", "en": "A"}}],
    }


def _minimal_form(sections: list[object]) -> dict[str, object]:
    return {
        "registry": "breast",
        "form": "mini",
        "version": 1,
        "title": {"nb": "Mini", "en": "Mini"},
        "sections": sections,
    }


def test_example_values_fill_the_envelope(v2: FormDefinition) -> None:
    values = v2.submitted_values(example_values(v2, random.Random(4), today=TODAY))
    assert {"patient_id", "patient_name", "region", "department", "report_date"} <= set(values)
