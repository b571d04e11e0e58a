"""The shipped catalogue, code lists and message texts."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.forms import LANGUAGES, Catalogue, FormDefinition, load_messages
from desktop_app.forms.migration import CHANGE_KINDS
from desktop_app.resources import resources_dir

SOURCE = Path(__file__).resolve().parents[2] / "desktop_app" / "forms"


def test_catalogue_holds_the_breast_assessment(catalogue: Catalogue) -> None:
    definition = catalogue.get("breast", "assessment", 1)
    assert catalogue.latest("breast", "assessment") is catalogue.get("breast", "assessment", 3)
    assert catalogue.versions("breast", "assessment") == [1, 2, 3]
    assert ("breast", "assessment", 1) in catalogue
    assert definition in catalogue.forms()
    assert "breast" in [registry.id for registry in catalogue.registries()]
    assert definition.title_text("nb") == "Brystkreft – utredning"
    assert [s.id for s in definition.sections] == [
        "patient",
        "institution",
        "reporter",
        "diagnosis",
        "tumour",
    ]


def test_absent_form_is_a_key_error(catalogue: Catalogue) -> None:
    with pytest.raises(KeyError, match="breast/assessment version 9"):
        catalogue.get("breast", "assessment", 9)
    with pytest.raises(KeyError):
        catalogue.latest("breast", "nonexistent")


def test_every_text_is_in_both_languages(breast: FormDefinition) -> None:
    for field in breast.fields():
        for lang in LANGUAGES:
            assert field.label_text(lang).strip(), field.id
            for _, label in field.choices(lang):
                assert label.strip(), field.id
    for check in breast.checks:
        assert set(check.message) == set(LANGUAGES)


def test_every_message_key_used_by_the_code_has_texts() -> None:
    """A key the engine emits but messages.json lacks would show up as a raw key."""
    messages = load_messages()
    code = "\n".join(p.read_text(encoding="utf-8") for p in SOURCE.glob("*.py"))
    used = set(re.findall(r'"((?:[a-z_]+\.)+[a-z_]+)"', code)) | {"required"}
    used = {key for key in used if key.split(".")[0] in _MESSAGE_FAMILIES}
    assert used, "the scan found no keys; the pattern is broken"
    assert used <= set(messages), used - set(messages)
    for texts in messages.values():
        assert set(texts) >= set(LANGUAGES)


_MESSAGE_FAMILIES = {"field", "text", "integer", "decimal", "number", "date", "choice", "code"} | {
    "identity_number",
    "repeat",
    "computed",
}  # "migration.<kind>" texts are built from Change.kind: see the test below


def test_every_change_kind_has_texts() -> None:
    messages = load_messages()
    assert {f"migration.{kind}" for kind in CHANGE_KINDS} <= set(messages)


def test_hospitals_complete_and_consistent(catalogue: Catalogue) -> None:
    hospitals = catalogue.code_list("hospitals")
    regions = catalogue.code_list("regions")
    assert len(hospitals) == 62  # every hospital code listed in REGISTRIES.md
    assert all(entry.attributes["region"] in regions for entry in hospitals.entries)
    assert all(entry.attributes["trust"] for entry in hospitals.entries)
    rikshospitalet = hospitals.get("0316")
    assert rikshospitalet is not None
    assert rikshospitalet.label_text("nb") == "Oslo universitetssykehus, Rikshospitalet"
    assert rikshospitalet.attributes == {"trust": "Oslo universitetssykehus HF", "region": "1"}
    assert hospitals.get("2002").attributes["region"] == "4"  # Kirkenes
    per_region = {r: 0 for r in ("1", "2", "3", "4")}
    for entry in hospitals.entries:
        per_region[entry.attributes["region"]] += 1
    assert per_region == {"1": 31, "2": 11, "3": 8, "4": 12}


def test_icd10_breast_scope(catalogue: Catalogue) -> None:
    icd = catalogue.code_list("icd10_breast")
    assert icd.codes() == (
        *(f"C50.{d}" for d in (0, 1, 2, 3, 4, 5, 6, 8, 9)),
        "D05.0",
        "D05.1",
        "D05.7",
        "D05.9",
    )
    assert icd.get("C50.4").label_text("en") == "Upper-outer quadrant of breast"
    assert icd.in_classification("C18.7") and not icd.in_classification("breast")


def test_every_resource_file_names_its_source() -> None:
    for path in (resources_dir() / "codelists").glob("*.json"):
        assert json.loads(path.read_text(encoding="utf-8"))["source"], path


def test_resources_dir_inside_a_pyinstaller_bundle(monkeypatch, tmp_path: Path) -> None:
    assert (resources_dir() / "forms" / "messages.json").is_file()
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources_dir() == tmp_path / "resources"


def test_forms_package_needs_no_qt() -> None:
    code = (
        "import sys, desktop_app.forms as f; f.load_catalogue();"
        "sys.exit(any(m.split('.')[0] == 'PySide6' for m in sys.modules))"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=SOURCE.parents[1])
