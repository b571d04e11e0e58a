"""DraftService: first answers, finding a patient's earlier messages of a form, and opening a
draft made on an older form version (migrated when a path exists, never made unopenable)."""

from __future__ import annotations

import contextlib
import json
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.autosave import Autosaver
from desktop_app.drafts import DraftService, FormUnavailableError
from desktop_app.forms import Catalogue, example_values, generate_identity_number, load_catalogue
from desktop_app.resources import resources_dir
from local_cache import Cache, MessageState, open_cache

OWNER = "demo"


@pytest.fixture
def patients() -> tuple[str, str]:
    rng = random.Random(31)
    return generate_identity_number(rng), generate_identity_number(rng, kind="d")


def v1_values(catalogue: Catalogue, patient_id: str) -> dict:
    """Valid version-1 answers with every field the version-2 migration touches answered."""
    definition = catalogue.get("breast", "assessment", 1)
    values = example_values(definition, random.Random(5), fixed={"patient_id": patient_id})
    values.update(detection="symptoms", ki67_percent=30, histological_type="lobular")
    return values


def test_new_draft_starts_with_the_given_answers(drafts: DraftService, patients) -> None:
    patient, _ = patients
    record = drafts.new_draft(
        "breast",
        "assessment",
        {"patient_id": patient, "patient_name": "Kari Demo", "not_a_field": "x"},
    )
    stored = drafts.cache.messages.get(record.id)
    assert stored.values == {"patient_id": patient, "patient_name": "Kari Demo"}


def test_find_existing_finds_drafts_queued_and_receipted_of_that_patient_only(
    drafts: DraftService, cache: Cache, patients, queue_valid_message
) -> None:
    patient, other = patients
    draft = drafts.new_draft("breast", "assessment", {"patient_id": patient})
    queued_other = queue_valid_message(OWNER)  # another (generated) patient
    # A queued and a receipted message of the same patient, through the real transitions.
    queued_for_patient = _queued(drafts, patient)
    receipted = _queued(drafts, patient)
    cache.messages.claim_for_sending(OWNER)
    cache.messages.mark_receipted(receipted.id, _receipt(receipted))
    # Messages that must not be found.
    drafts.new_draft("breast", "assessment", {"patient_id": other})
    drafts.new_draft("breast", "surgery", {"patient_id": patient})
    DraftService(drafts.cache, drafts.catalogue, drafts.autosaver, "someone.else").new_draft(
        "breast", "assessment", {"patient_id": patient}
    )

    found = drafts.find_existing("breast", "assessment", patient)

    assert {r.id for r in found} == {draft.id, queued_for_patient.id, receipted.id}
    states = {r.id: r.state for r in found}
    assert states[receipted.id] == MessageState.RECEIPTED
    assert states[queued_for_patient.id] in (MessageState.QUEUED, MessageState.SENDING)
    assert queued_other.id not in states
    assert drafts.find_existing("breast", "assessment", "") == []
    assert drafts.find_existing("breast", "assessment", None) == []


def test_find_existing_leaves_out_rejected_messages(drafts: DraftService, patients) -> None:
    patient, _ = patients
    record = _queued(drafts, patient)
    drafts.cache.messages.claim_for_sending(OWNER)
    drafts.cache.messages.mark_rejected(record.id, "Key reused with another body.")
    assert drafts.find_existing("breast", "assessment", patient) == []


def test_a_version_1_draft_opens_migrated_through_version_2_to_the_latest(
    drafts: DraftService, catalogue: Catalogue, patients
) -> None:
    assert catalogue.latest("breast", "assessment").version == 3
    patient, _ = patients
    values = v1_values(catalogue, patient)
    record = drafts.cache.messages.create_draft(OWNER, "breast", "assessment", 1, values)

    opened, definition, changes = drafts.open_with_changes(record.id)

    assert definition.version == opened.form_version == 3
    assert drafts.cache.messages.get(record.id) == opened  # stored, not only shown
    moved = opened.values
    assert moved["detection_method"] == "symptoms" and "detection" not in moved
    assert "ki67_percent" not in moved
    assert moved["histological_type"] == "8520/3"
    untouched = set(values) - {"detection", "ki67_percent", "histological_type"}
    assert {k: moved[k] for k in untouched} == {k: values[k] for k in untouched}
    assert {(c.kind, c.field) for c in changes} == {
        ("renamed", "detection_method"),
        ("removed", "ki67_percent"),
        ("remapped", "histological_type"),
    }
    assert all(change.message("en") for change in changes)
    # Migrated answers are valid answers of the latest version; only the questions version 3
    # added are still to be answered.
    errors = {(i.path, i.key) for i in drafts.validate(definition, moved) if i.severity == "error"}
    assert errors == {
        ("referral_date", "required"),
        ("preoperative_diagnosis", "required"),
        ("surgery_planned", "required"),
    }
    # Opened again: already on the latest version, not moved again, and the changes still told.
    again, _, told_again = drafts.open_with_changes(record.id)
    assert again.form_version == 3 and again.values == moved
    assert told_again == changes


def test_a_sent_version_1_message_is_never_migrated(
    drafts: DraftService, catalogue: Catalogue, patients
) -> None:
    patient, _ = patients
    values = v1_values(catalogue, patient)
    record = drafts.cache.messages.create_draft(OWNER, "breast", "assessment", 1, values)
    body = {"message_id": record.id, "registry": "breast", "form": "assessment", "version": 1}
    drafts.cache.messages.submit(record.id, {**body, "values": values})

    opened, definition, changes = drafts.open_with_changes(record.id)

    assert (opened.form_version, definition.version, changes) == (1, 1, [])
    assert opened.values == values


def test_without_a_migration_path_a_draft_opens_on_its_own_version(
    tmp_path: Path, cache: Cache, patients
) -> None:
    """Version 2 installed without a declared migration: the v1 draft opens as v1, unchanged."""
    forms = tmp_path / "forms"
    shutil.copytree(resources_dir() / "forms" / "_fragments", forms / "_fragments")
    (forms / "breast").mkdir()
    source = resources_dir() / "forms" / "breast"
    shutil.copy(source / "assessment.v1.json", forms / "breast")
    v2 = json.loads((source / "assessment.v2.json").read_text(encoding="utf-8"))
    del v2["migration"]
    (forms / "breast" / "assessment.v2.json").write_text(json.dumps(v2), encoding="utf-8")
    catalogue = load_catalogue(forms_dir=forms)
    autosaver = Autosaver(cache.messages)
    try:
        drafts = DraftService(cache, catalogue, autosaver, OWNER)
        values = v1_values(catalogue, patients[0])
        record = cache.messages.create_draft(OWNER, "breast", "assessment", 1, values)

        opened, definition, changes = drafts.open_with_changes(record.id)

        assert (opened.form_version, definition.version, changes) == (1, 1, [])
        assert cache.messages.get(record.id) == record
    finally:
        autosaver.close()


def test_a_draft_on_an_unknown_version_is_kept_untouched(drafts: DraftService) -> None:
    record = drafts.cache.messages.create_draft(
        OWNER, "breast", "assessment", 999, {"patient_name": "Kept"}
    )
    with pytest.raises(FormUnavailableError, match="version 999 is not available") as raised:
        drafts.open(record.id)
    assert "Update the application" in raised.value.message
    assert drafts.cache.messages.get(record.id) == record


def _queued(drafts: DraftService, patient: str):
    record = drafts.new_draft("breast", "assessment")
    definition = drafts.catalogue.get("breast", "assessment", record.form_version)
    values = example_values(definition, random.Random(8), fixed={"patient_id": patient})
    issues = drafts.submit(record.id, values)
    assert [i for i in issues if i.severity == "error"] == []
    return drafts.cache.messages.get(record.id)


def _receipt(record) -> dict:
    return {
        "receipt_id": "r-" + record.id,
        "message_id": record.id,
        "registry": record.registry,
        "form": record.form,
        "version": record.form_version,
        "received_at": "2026-11-21T10:15:00Z",
        "body_sha256": "ab" * 32,
        "unit_id": "unit-1",
    }


def test_the_changes_are_told_on_every_open_until_acknowledged(
    tmp_path: Path, catalogue: Catalogue, patients
) -> None:
    """The removed Ki-67 answer must survive closing the draft, and the program."""
    path = tmp_path / "reopened" / "cache.sqlite3"
    values = {**v1_values(catalogue, patients[0]), "ki67_percent": 18}
    with _drafts(path, catalogue) as drafts:
        record = drafts.cache.messages.create_draft(OWNER, "breast", "assessment", 1, values)
        moved, _, first = drafts.open_with_changes(record.id)
        # The user edits the moved draft before closing it.
        drafts.autosaver.save(record.id, {**moved.values, "comment": "typed later"}).result()

    with _drafts(path, catalogue) as drafts:  # the program started again
        opened, _, changes = drafts.open_with_changes(record.id)
        assert opened.form_version == 3
        assert changes == first
        removed = [c for c in changes if c.kind == "removed"]
        assert [(c.field, c.old) for c in removed] == [("ki67_percent", 18)]
        # Told in either language with the field's label, word for word as the first time.
        for lang in ("en", "nb"):
            assert [c.message(lang) for c in changes] == [c.message(lang) for c in first]
        assert '"Ki-67"' in removed[0].message("en") and "(18)" in removed[0].message("en")

        drafts.acknowledge_changes(record.id)

        after, _, none_left = drafts.open_with_changes(record.id)
        assert none_left == []
        assert (after.form_version, after.values) == (opened.form_version, opened.values)


def test_submitting_a_migrated_draft_clears_its_changes(
    drafts: DraftService, catalogue: Catalogue, patients
) -> None:
    values = v1_values(catalogue, patients[0])
    record = drafts.cache.messages.create_draft(OWNER, "breast", "assessment", 1, values)
    opened, _, changes = drafts.open_with_changes(record.id)
    assert changes

    # The clinician answers what version 3 added, then submits.
    answers = {
        **opened.values,
        "referral_date": opened.values["diagnosis_date"],
        "preoperative_diagnosis": "core_needle_biopsy",
        "surgery_planned": "1",
    }
    issues = drafts.submit(record.id, answers)

    assert [i for i in issues if i.severity == "error"] == []
    sent = drafts.cache.messages.get(record.id)
    assert sent.state in (MessageState.QUEUED, MessageState.SENDING)
    assert sent.migration_changes == []
    assert drafts.open_with_changes(record.id)[2] == []


@contextlib.contextmanager
def _drafts(path: Path, catalogue: Catalogue) -> Iterator[DraftService]:
    cache = open_cache(path)
    autosaver = Autosaver(cache.messages)
    try:
        yield DraftService(cache, catalogue, autosaver, OWNER)
    finally:
        autosaver.close()
        cache.close()
