"""The client and the server judge a message the same way (issue 3).

(a) A message the client considers valid is accepted by the server, on every form of the
    catalogue (old versions too, while the server still accepts them).
(b) A message the server refuses comes back onto the draft with exactly the issues the client
    shows for those values: the same paths (repeat rows included) and the same keys.

Real parts only: the registry server over TLS, the client's ApiClient, a local cache file and
the client's SyncEngine.
"""

from __future__ import annotations

import datetime
import random
import time
import uuid
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.auth import Session
from desktop_app.events import EventBus
from desktop_app.forms import (
    Catalogue,
    FieldDef,
    FormDefinition,
    Issue,
    example_values,
    load_catalogue,
    validate,
)
from desktop_app.sync.api_client import ApiClient, Invalid, Receipted
from desktop_app.sync.engine import SyncEngine
from local_cache import Cache, MessageState

from .conftest import DEMO_USER

SEEDS = (1, 2, 3)
_FORMS = load_catalogue().forms()


def _form_id(definition: FormDefinition) -> str:
    return f"{definition.registry}/{definition.form}/v{definition.version}"


def _errors(definition: FormDefinition, values: dict) -> list[Issue]:
    return [i for i in validate(definition, values) if i.severity == "error"]


def _body(definition: FormDefinition, values: dict, message_id: str | None = None) -> dict:
    """The body exactly as the client's DraftService builds it."""
    return {
        "message_id": message_id or str(uuid.uuid4()),
        "registry": definition.registry,
        "form": definition.form,
        "version": definition.version,
        "values": definition.submitted_values(values),
    }


def _send_valid(
    api: ApiClient, token: str, catalogue: Catalogue, definition: FormDefinition, seed: int
) -> None:
    values = example_values(definition, random.Random(seed))
    assert _errors(definition, values) == [], "the client must consider the message valid"

    result = api.submit(token, _body(definition, values), str(uuid.uuid4()))

    key = (definition.registry, definition.form, definition.version)
    if catalogue.accepts(*key, datetime.date.today()):
        assert isinstance(result, Receipted), f"{_form_id(definition)} seed {seed}: {result}"
        assert result.replay is False
        assert result.receipt["version"] == definition.version
    else:  # an old version after its grace period: refused with the version to use
        assert isinstance(result, Invalid), result
        assert f"version {catalogue.latest(key[0], key[1]).version}" in result.detail


@pytest.mark.parametrize("definition", _FORMS, ids=_form_id)
def test_every_form_valid_on_the_client_is_accepted_by_the_server(
    api: ApiClient, token: str, catalogue: Catalogue, definition: FormDefinition
) -> None:
    for seed in SEEDS:
        _send_valid(api, token, catalogue, definition, seed)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(index=st.integers(0, len(_FORMS) - 1), seed=st.integers(0, 2**32 - 1))
def test_valid_messages_over_random_seeds_are_accepted(
    api: ApiClient, token: str, catalogue: Catalogue, index: int, seed: int
) -> None:
    _send_valid(api, token, catalogue, _FORMS[index], seed)


# (b) A refused message comes back onto the draft with the client's own issues -------------


def _latest_forms(catalogue: Catalogue) -> list[FormDefinition]:
    return [d for d in catalogue.forms() if catalogue.latest(d.registry, d.form) is d]


def _groups(definition: FormDefinition) -> list[FieldDef]:
    return [f for f in definition.fields() if f.type == "repeat_group"]


def _icd10_field(definition: FormDefinition) -> FieldDef | None:
    return next((f for f in definition.fields() if (f.code_list or "").startswith("icd10_")), None)


def _out_of_scope_code(catalogue: Catalogue, field: FieldDef) -> str:
    """A real ICD-10 code of another registry, outside this field's scope."""
    own = field.codes if field.codes is not None else ()
    for name, code_list in sorted(catalogue.code_lists().items()):
        if name.startswith("icd10_") and name != field.code_list:
            for code in code_list.codes():
                if code not in own:
                    return code
    raise AssertionError("no ICD-10 code outside the scope of " + str(field.code_list))


def _break_a_row(definition: FormDefinition, values: dict) -> str:
    """Put an unknown code into the first row of the first repeat group; returns its path."""
    group = _groups(definition)[0]
    rows = values.get(group.id) or []
    assert rows, f"the example for {_form_id(definition)} has no {group.id} rows"
    choice = next(
        (f for f in group.fields if f.type in ("single_choice", "code") and f.id in rows[0]),
        None,
    )
    assert choice is not None, f"no answered choice field in a {group.id} row"
    rows[0] = {**rows[0], choice.id: "not-a-code"}
    values[group.id] = rows
    return f"{group.id}[0].{choice.id}"


def _repeat_form(catalogue: Catalogue) -> FormDefinition:
    forms = [d for d in _latest_forms(catalogue) if _groups(d)]
    assert forms, "the catalogue should hold a form with a repeat group (lymphoid treatment)"
    preferred = [d for d in forms if (d.registry, d.form) == ("lymphoid", "treatment")]
    return (preferred or forms)[0]


def _example_with_rows(definition: FormDefinition) -> dict:
    group = _groups(definition)[0]
    for seed in range(50):
        values = example_values(definition, random.Random(seed))
        if values.get(group.id):
            return values
    raise AssertionError(f"no example of {_form_id(definition)} with {group.id} rows")


def _wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the sync engine"
        time.sleep(0.02)


def test_a_refused_message_returns_to_its_draft_with_the_issues_the_client_shows(
    api: ApiClient, cache: Cache, session: Session, catalogue: Catalogue
) -> None:
    owner = DEMO_USER[0]
    repeat_form = _repeat_form(catalogue)
    repeat_values = _example_with_rows(repeat_form)
    row_path = _break_a_row(repeat_form, repeat_values)
    expected_paths = {repeat_form.key: {row_path}}
    bad = [(repeat_form, repeat_values)]

    # The ICD-10 scope rule: on the repeat form if it asks for a diagnosis code, and on the
    # same registry's assessment form (which always does).
    assessment = catalogue.latest(repeat_form.registry, "assessment")
    for definition, values in (
        (repeat_form, repeat_values),
        (assessment, example_values(assessment, random.Random(7))),
    ):
        icd10 = _icd10_field(definition)
        if icd10 is None:
            continue
        values[icd10.id] = _out_of_scope_code(catalogue, icd10)
        expected_paths.setdefault(definition.key, set()).add(icd10.id)
        if definition is not repeat_form:
            bad.append((definition, values))
    assert len(expected_paths) + sum(map(len, expected_paths.values())) >= 3

    queued = []
    for definition, values in bad:
        record = cache.messages.create_draft(
            owner, definition.registry, definition.form, definition.version, values
        )
        body = _body(definition, values, message_id=record.id)
        # Queued directly: the client's own submit would never let these through.
        cache.messages.submit(record.id, body)
        queued.append((record.id, definition, body))

    engine = SyncEngine(cache, api, session, EventBus(), interval_s=30.0, retry_s=0.2)
    engine.start()
    try:
        _wait_for(
            lambda: all(
                cache.messages.get(message_id).state == MessageState.DRAFT
                for message_id, _, _ in queued
            )
        )
    finally:
        engine.stop()

    for message_id, definition, body in queued:
        record = cache.messages.get(message_id)
        assert record.body is None  # back to an editable draft
        client_issues = _errors(definition, body["values"])
        server_issues = [Issue.from_dict(d) for d in record.server_issues]
        assert sorted((i.path, i.key) for i in server_issues) == sorted(
            (i.path, i.key) for i in client_issues
        )
        assert expected_paths[definition.key] <= {i.path for i in server_issues}
        # ... and the user reads the same sentences, in both languages.
        for lang in ("nb", "en"):
            assert sorted(i.message(lang) for i in server_issues) == sorted(
                i.message(lang) for i in client_issues
            )
        # The draft keeps what the user had entered.
        assert definition.submitted_values(record.values) == body["values"]
        assert record.last_error and "correct the marked fields" in record.last_error
