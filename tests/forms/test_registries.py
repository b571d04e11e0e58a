"""resources/registries.json and the catalogue's registry API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_app.forms import Catalogue, DefinitionError, load_catalogue, load_registries

IDS = [
    "colorectal",
    "prostate",
    "breast",
    "lung",
    "melanoma",
    "childhood",
    "gynaecological",
    "lymphoid",
    "bladder",
    "oesophagus_stomach",
    "sarcoma",
    "cns",
]
STEPS = [
    "assessment",
    "surgery",
    "radiotherapy",
    "drug_therapy",
    "oncological_treatment",
    "treatment",
    "response",
    "follow_up",
    "relapse",
    "late_effects",
]
DETAILED_FORMS = {
    "breast": ["assessment", "surgery", "oncological_treatment", "follow_up", "relapse"],
    "lymphoid": ["assessment", "treatment", "response"],
    "childhood": ["assessment", "treatment", "late_effects"],
    "sarcoma": ["assessment", "surgery", "radiotherapy"],
}


def test_twelve_registries_in_file_order(catalogue: Catalogue) -> None:
    registries = catalogue.registries()
    assert [r.id for r in registries] == IDS
    assert sum(r.national for r in registries) == 9
    assert {r.id for r in registries if not r.national} == {"oesophagus_stomach", "sarcoma", "cns"}
    for registry in registries:
        assert registry.title_text("nb") and registry.title_text("en")
        assert registry.title_text("nb") != registry.title_text("en")
        assert registry.icd10_scope == f"icd10_{registry.id}"
        assert registry.forms[0] == "assessment"
        assert set(registry.forms) <= set(STEPS)
    for registry_id, forms in DETAILED_FORMS.items():
        assert list(catalogue.registry(registry_id).forms) == forms
    assert catalogue.registry("breast").title_text("nb") == "Brystkreft"
    with pytest.raises(KeyError, match="'spleen'"):
        catalogue.registry("spleen")


def test_pathway_steps_and_titles(catalogue: Catalogue) -> None:
    assert catalogue.pathway_steps() == STEPS
    assert catalogue.step_title("radiotherapy", "nb") == "Strålebehandling"
    assert catalogue.step_title("late_effects", "en") == "Late effects"
    assert catalogue.step_title("not_a_step", "en") == "Not a step"


def test_latest_forms_in_pathway_order(catalogue: Catalogue) -> None:
    breast = catalogue.latest_forms("breast")
    assert [(d.form, d.version) for d in breast] == [
        ("assessment", 3),
        ("surgery", 1),
        ("oncological_treatment", 1),
        ("follow_up", 1),
        ("relapse", 1),
    ]
    assert catalogue.latest_forms("no_such_registry") == []


def test_registry_without_forms_and_strict_places(tmp_path: Path, catalogue: Catalogue) -> None:
    forms_dir = tmp_path / "forms"
    (forms_dir / "breast").mkdir(parents=True)
    v1 = catalogue.get("breast", "assessment", 1).to_dict()
    path = forms_dir / "breast" / "assessment.v1.json"
    path.write_text(json.dumps(v1), encoding="utf-8")
    small = load_catalogue(forms_dir)
    assert [r.id for r in small.registries()] == IDS  # forms absent: nothing breaks
    assert small.latest_forms("sarcoma") == []
    assert [d.form for d in small.latest_forms("breast")] == ["assessment"]

    path.write_text(json.dumps({**v1, "pathway_step": "triage"}), encoding="utf-8")
    with pytest.raises(DefinitionError, match="'triage' is not a pathway step") as caught:
        load_catalogue(forms_dir)
    assert caught.value.source == str(path)

    (forms_dir / "spleen").mkdir()
    path.rename(forms_dir / "spleen" / "assessment.v1.json")
    (forms_dir / "spleen" / "assessment.v1.json").write_text(
        json.dumps({**v1, "registry": "spleen"}), encoding="utf-8"
    )
    with pytest.raises(DefinitionError, match="'spleen' is not a registry"):
        load_catalogue(forms_dir)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["registries"][0].pop("icd10_scope"), "icd10_scope: missing"),
        (lambda d: d["registries"][1].update(id="colorectal"), "duplicate registry id"),
        (lambda d: d["registries"][0]["title"].pop("nb"), 'needs a non-empty "nb" text'),
        (lambda d: d["pathway_steps"]["surgery"].pop("en"), 'needs a non-empty "en" text'),
        (lambda d: d["registries"][0].update(forms=["assessment", "assessment"]), "twice"),
        (lambda d: d["registries"][0].update(colour="red"), "unknown key"),
    ],
)
def test_malformed_registries_file(tmp_path: Path, change, problem: str) -> None:
    shipped = Path(__file__).resolve().parents[2] / "resources" / "registries.json"
    data = json.loads(shipped.read_text(encoding="utf-8"))
    assert load_registries(shipped).registries[2].id == "breast"
    change(data)
    path = tmp_path / "registries.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DefinitionError, match=problem):
        load_registries(path)


def test_childhood_scope_may_be_null(tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parents[2] / "resources" / "registries.json"
    data = json.loads(shipped.read_text(encoding="utf-8"))
    data["registries"][5]["icd10_scope"] = None
    path = tmp_path / "registries.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_registries(path).registries[5].icd10_scope is None
