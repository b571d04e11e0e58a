import random

import pytest

from desktop_app.drafts import DraftService, FormUnavailableError
from desktop_app.forms import Catalogue, body_sha256, example_values
from local_cache import MessageState


def test_new_draft_uses_the_latest_form_version(drafts: DraftService, catalogue: Catalogue) -> None:
    record = drafts.new_draft("breast", "assessment")
    assert record.state == MessageState.DRAFT
    assert record.form_version == catalogue.latest("breast", "assessment").version
    opened, definition = drafts.open(record.id)
    assert opened.id == record.id
    assert (definition.registry, definition.form) == ("breast", "assessment")


def test_submit_refuses_a_message_with_errors(drafts: DraftService) -> None:
    record = drafts.new_draft("breast", "assessment")
    values = {"patient_id": "12345678901"}  # wrong check digits, and much left out

    issues = drafts.submit(record.id, values)

    assert any(i.path == "patient_id" and i.severity == "error" for i in issues)
    after = drafts.cache.messages.get(record.id)
    assert after.state == MessageState.DRAFT
    assert after.body is None and after.idempotency_key is None
    assert drafts.cache.messages.count_unsent("demo") == 0


def test_submit_queues_exactly_the_body_that_will_be_sent(
    drafts: DraftService, catalogue: Catalogue
) -> None:
    record = drafts.new_draft("breast", "assessment")
    definition = catalogue.get("breast", "assessment", record.form_version)
    values = example_values(definition, random.Random(7))
    # An earlier debounced save still pending must not overwrite the final values.
    drafts.autosaver.save(record.id, {"patient_id": values["patient_id"]})
    # An unanswered field is kept in the draft but not sent.
    unanswered = next(f.id for f in definition.fields() if f.id not in values)
    final = {**values, unanswered: ""}

    issues = drafts.submit(record.id, final)

    assert [i for i in issues if i.severity == "error"] == []
    queued = drafts.cache.messages.get(record.id)
    assert queued.state == MessageState.QUEUED
    assert queued.idempotency_key
    assert queued.values == final
    assert queued.body == {
        "message_id": record.id,
        "registry": "breast",
        "form": "assessment",
        "version": record.form_version,
        "values": definition.submitted_values(values),
    }
    assert unanswered not in queued.body["values"]
    assert len(body_sha256(queued.body)) == 64
    assert drafts.cache.messages.count_unsent("demo") == 1


def test_validate_by_message_id_or_definition(drafts: DraftService, catalogue: Catalogue) -> None:
    record = drafts.new_draft("breast", "assessment")
    definition = catalogue.get("breast", "assessment", record.form_version)
    by_id = drafts.validate(record.id, {})
    by_definition = drafts.validate(definition, {})
    assert by_id and [i.to_dict() for i in by_id] == [i.to_dict() for i in by_definition]


def test_a_draft_on_a_missing_form_version_says_so(drafts: DraftService) -> None:
    record = drafts.cache.messages.create_draft("demo", "breast", "assessment", 999)
    with pytest.raises(FormUnavailableError, match="version 999 is not available"):
        drafts.open(record.id)
