"""Form versions: breast assessment v2 and v3, migrations, and how long old versions are
accepted."""

from __future__ import annotations

import copy
import datetime
import json
from pathlib import Path

import pytest

from desktop_app.forms import Catalogue, Change, DefinitionError, load_catalogue, validate

from .conftest import TODAY


def test_v1_draft_migrates_through_v2_to_v3(
    catalogue: Catalogue, valid: dict[str, object]
) -> None:
    draft = dict(valid, ki67_percent=15, histological_type="nst")
    before = copy.deepcopy(draft)
    migration = catalogue.migrate(draft, "breast", "assessment", 1)
    assert draft == before  # the input is left alone
    assert migration.version == 3
    expected = {k: v for k, v in draft.items() if k not in ("detection", "ki67_percent")}
    expected.update(detection_method="screening", histological_type="8500/3")
    assert migration.values == expected
    assert [(c.kind, c.field, c.old, c.new, c.version) for c in migration.changes] == [
        ("renamed", "detection_method", "detection", "detection_method", 2),
        ("remapped", "histological_type", "nst", "8500/3", 2),
        ("removed", "ki67_percent", 15, None, 2),
    ]
    # Version 3 only adds questions: the answers are those of version 2, still to be given.
    v2 = catalogue.get("breast", "assessment", 2)
    assert validate(v2, migration.values, TODAY) == []
    v3 = catalogue.get("breast", "assessment", 3)
    assert {(i.path, i.key) for i in validate(v3, migration.values, TODAY)} == {
        ("referral_date", "required"),
        ("preoperative_diagnosis", "required"),
        ("surgery_planned", "required"),
    }
    assert validate(catalogue.get("breast", "assessment", 1), draft, TODAY) == []


def test_changes_are_told_in_both_languages(catalogue: Catalogue, valid) -> None:
    changes = catalogue.migrate(
        dict(valid, histological_type="dcis", ki67_percent=40), "breast", "assessment", 1
    ).changes
    texts = {c.kind: (c.message("nb"), c.message("en")) for c in changes}
    assert "Hvordan oppdaget" in texts["renamed"][0] and "How detected" in texts["renamed"][1]
    assert "Ki-67" in texts["removed"][1] and "40" in texts["removed"][1]
    assert "Duktalt carcinoma in situ (DCIS) (8500/2)" in texts["remapped"][0]
    assert changes[0].to_dict()["message"] == changes[0].message("en")


def test_unanswered_fields_make_no_changes(catalogue: Catalogue) -> None:
    migration = catalogue.migrate({"patient_name": "Kari Demo"}, "breast", "assessment", 1)
    assert (migration.version, migration.changes) == (3, [])
    assert migration.values == {"patient_name": "Kari Demo"}
    assert catalogue.migrate({}, "breast", "assessment", 2).version == 3
    assert catalogue.migrate({}, "breast", "assessment", 3).version == 3
    assert catalogue.migrate({}, "breast", "surgery", 1).version == 1  # no newer version
    with pytest.raises(KeyError):
        catalogue.migrate({}, "breast", "assessment", 7)


def test_grace_period(catalogue: Catalogue) -> None:
    until = datetime.date(2027, 5, 31)
    assert catalogue.accepted_until("breast", "assessment", 1) == until
    v2_until = datetime.date(2027, 6, 30)
    assert catalogue.accepted_until("breast", "assessment", 2) == v2_until
    assert catalogue.accepted_until("breast", "assessment", 3) is None
    assert catalogue.accepts("breast", "assessment", 1, until)
    assert catalogue.accepts("breast", "assessment", 1, datetime.date(2026, 11, 22))
    assert not catalogue.accepts("breast", "assessment", 1, until + datetime.timedelta(days=1))
    assert catalogue.accepts("breast", "assessment", 2, v2_until)
    assert not catalogue.accepts("breast", "assessment", 2, v2_until + datetime.timedelta(days=1))
    assert catalogue.accepts("breast", "assessment", 3, datetime.date(2040, 1, 1))
    assert not catalogue.accepts("breast", "assessment", 4, until)
    migration = catalogue.get("breast", "assessment", 2).migration
    assert migration is not None and "2027" in migration.note_text("nb")


def test_change_message_without_labels() -> None:
    assert "x" in Change("removed", "x", "1", None).message("en")


def _two_versions(tmp_path: Path, catalogue: Catalogue, change) -> Path:
    forms_dir = tmp_path / "forms"
    (forms_dir / "breast").mkdir(parents=True)
    for version in (1, 2):
        data = catalogue.get("breast", "assessment", version).to_dict()
        if version == 2:
            change(data)
        path = forms_dir / "breast" / f"assessment.v{version}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
    return forms_dir


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        (lambda d: d["migration"]["removals"].clear(), "migration", "'ki67_percent'"),
        (
            lambda d: d["migration"]["code_remaps"]["histological_type"].pop("lobular"),
            "migration.code_remaps.histological_type",
            "'lobular'",
        ),
        (
            lambda d: d["migration"]["code_remaps"]["histological_type"].update(nst="9999/3"),
            "migration.code_remaps.histological_type.nst",
            "not a code",
        ),
        (
            lambda d: d["migration"]["code_remaps"]["histological_type"].update(xx="8500/3"),
            "migration.code_remaps.histological_type.xx",
            "not a code of 'histological_type' in version 1",
        ),
        (
            lambda d: d["migration"]["renames"].update(mri="mri_done"),
            "migration",
            "'mri' is not a field of version 1",
        ),
        (lambda d: d["migration"].update(from_version=2), "migration.from_version", "earlier"),
        (
            lambda d: d["migration"].update(previous_accepted_until="31.05.2027"),
            "migration.previous_accepted_until",
            "YYYY-MM-DD",
        ),
        (
            lambda d: d["migration"]["renames"].update(detection="detection_how"),
            "migration.renames.detection",
            "not a field of this version",
        ),
    ],
)
def test_bad_migrations_stop_the_load(
    tmp_path: Path, catalogue: Catalogue, change, key: str, problem: str
) -> None:
    forms_dir = _two_versions(tmp_path, catalogue, change)
    with pytest.raises(DefinitionError) as caught:
        load_catalogue(forms_dir)
    assert caught.value.key == key
    assert problem in str(caught.value)
    assert caught.value.source.endswith("assessment.v2.json")


def test_copy_of_both_versions_loads_and_lacking_v1_is_refused(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    forms_dir = _two_versions(tmp_path, catalogue, lambda d: None)
    assert load_catalogue(forms_dir).versions("breast", "assessment") == [1, 2]
    (forms_dir / "breast" / "assessment.v1.json").unlink()
    with pytest.raises(DefinitionError, match="keep older definitions"):
        load_catalogue(forms_dir)
