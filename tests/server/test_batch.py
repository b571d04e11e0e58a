"""POST /messages/batch over real HTTPS: one answer per item, in order, as if sent alone.

One server (SQLite) serves the whole module; every test uses keys and message ids of its own
and looks at the rows stored under them, so the tests do not depend on each other.
"""

from __future__ import annotations

import datetime
import json
import uuid

import httpx

from desktop_app.forms import FormDefinition
from registry_server.signing import demo_key
from tests.server.batch_support import (  # noqa: F401  (fixtures)
    RESULT_FIELDS,
    _assert_receipt_for,
    _assert_refused,
    _is_sentence,
    _results,
    _with_nan,
    headers_fixture,
    http_fixture,
    server_fixture,
)
from tests.server.helpers import (
    batch_item,
    body_for,
    catalogue,
    rows_per_key,
    sign_in,
    stored_message_ids,
    stored_receipt,
    valid_body,
)
from tests.server.helpers import submit as post_message
from tests.server.helpers import submit_batch as post_batch
from tests.support.live_server import LiveServer

KEY = demo_key()  # what a LiveServer with demo data signs with


# Each kind of item answer ---------------------------------------------------------------------


def test_each_item_is_answered_in_order_under_its_own_key(
    http: httpx.Client, headers: dict, server: LiveServer
) -> None:
    new = valid_body(seed=11)
    invalid = valid_body(seed=12, patient_id="12345678901")
    del invalid["values"]["diagnosis_date"]
    unknown_version = {**valid_body(seed=13), "version": 999}
    wrong_shape = {**valid_body(seed=14), "extra": True}
    too_large = valid_body(seed=15, comment="x" * (256 * 1024))
    last = valid_body(seed=16)
    keys = [str(uuid.uuid4()) for _ in range(9)]
    items = [
        batch_item(new, keys[0]),
        batch_item(invalid, keys[1]),
        batch_item(valid_body(seed=17), "abc"),
        {"message": valid_body(seed=18)},  # no key at all
        batch_item(valid_body(seed=19), 12345),  # a key that is not a string
        batch_item(unknown_version, keys[2]),
        batch_item(wrong_shape, keys[3]),
        batch_item(too_large, keys[4]),
        batch_item(last, keys[5]),
        {"idempotency_key": keys[6]},  # no message
    ]
    raw = "[" + ", ".join(json.dumps(item) for item in items)
    raw += ", " + _with_nan(batch_item(valid_body(seed=20), keys[7]))
    # An object with the same name twice is not strict JSON: only its own item is refused.
    duplicated = json.dumps(batch_item(valid_body(seed=21), keys[8]))
    raw += ", " + duplicated.replace('"values": {', '"values": {"a": 1, "a": 2, ', 1) + "]"

    response = post_batch(http, headers, ('{"items": ' + raw + "}").encode())

    results = _results(response, 12)
    _assert_receipt_for(results[0], 201, keys[0], new)
    _assert_refused(results[1], 422, keys[1])
    assert {"patient_id", "diagnosis_date"} <= {i["path"] for i in results[1]["issues"]}
    assert "correct the marked fields" in results[1]["detail"]
    _assert_refused(results[2], 400, "abc")
    assert "not a UUID" in results[2]["detail"] and results[2]["issues"] is None
    _assert_refused(results[3], 400, None)
    assert "missing" in results[3]["detail"]
    _assert_refused(results[4], 400, None)
    _assert_refused(results[5], 422, keys[2])
    assert "no form breast/assessment version 999" in results[5]["detail"]
    assert results[5]["issues"] == []
    _assert_refused(results[6], 422, keys[3])
    assert "agreed shape" in results[6]["detail"]
    _assert_refused(results[7], 413, keys[4])
    assert "256 KiB" in results[7]["detail"] and results[7]["issues"] is None
    _assert_receipt_for(results[8], 201, keys[5], last)
    _assert_refused(results[9], 422, keys[6])
    _assert_refused(results[10], 422, keys[7])
    assert "not valid UTF-8 JSON" in results[10]["detail"]
    _assert_refused(results[11], 422, keys[8])
    assert "same key twice" in results[11]["detail"]

    # Only the two good ones are stored, each with the receipt it was answered with.
    assert rows_per_key(server.session_factory, keys) == {
        **dict.fromkeys(keys, 0),
        keys[0]: 1,
        keys[5]: 1,
    }
    assert stored_receipt(server.session_factory, keys[0]) == results[0]["receipt"]
    assert stored_receipt(server.session_factory, keys[5]) == results[8]["receipt"]
    all_ids = [item["message"]["message_id"] for item in items if "message" in item]
    assert stored_message_ids(server.session_factory, all_ids) == {
        new["message_id"],
        last["message_id"],
    }
    listed = http.get("/api/v1/receipts", headers=headers).json()["receipts"]
    assert results[0]["receipt"] in listed and results[8]["receipt"] in listed


def test_item_answers_match_what_post_messages_answers_alone(
    http: httpx.Client, headers: dict
) -> None:
    """The same refusals through both doors: the same status, and for a message that is not
    valid the same sentence and issues (a key or size refusal names the item, not the header
    or the request)."""
    invalid = valid_body(seed=22, patient_id="12345678901")
    cases = [
        ("abc", valid_body(seed=23)),
        (str(uuid.uuid4()), {**valid_body(seed=24), "version": 999}),
        (str(uuid.uuid4()), {**valid_body(seed=25), "values": []}),
        (str(uuid.uuid4()), invalid),
        (str(uuid.uuid4()), valid_body(seed=26, comment="y" * (256 * 1024))),
    ]
    results = _results(post_batch(http, headers, [batch_item(b, k) for k, b in cases]), 5)

    for (key, body), result in zip(cases, results, strict=True):
        alone = post_message(http, headers, body, key)
        assert result["status"] == alone.status_code, (result, alone.text)
        if alone.status_code == 422:
            assert result["detail"] == alone.json()["detail"]
            assert result["issues"] == alone.json().get("issues")
        else:
            assert _is_sentence(result["detail"]) and result["issues"] is None


def test_a_form_version_past_its_grace_period_names_the_latest(
    http: httpx.Client, headers: dict, server: LiveServer
) -> None:
    old, latest, until = _superseded()
    server.set_today(until + datetime.timedelta(days=1))
    try:
        old_body, new_body = body_for(old, 1, today=until), body_for(latest, 1, today=until)
        results = _results(
            post_batch(http, headers, [batch_item(old_body), batch_item(new_body)]), 2
        )
    finally:
        server.set_today(None)

    _assert_refused(results[0], 422, results[0]["idempotency_key"])
    assert results[0]["latest_version"] == latest.version
    assert results[0]["issues"] == []
    assert results[1]["status"] == 201, results[1]
    assert results[1].get("latest_version") is None


def _superseded() -> tuple[FormDefinition, FormDefinition, datetime.date]:
    forms = catalogue()
    for definition in forms.forms():
        until = forms.accepted_until(definition.registry, definition.form, definition.version)
        if until is not None:
            return definition, forms.latest(definition.registry, definition.form), until
    raise AssertionError("The catalogue should hold a form version with a grace period.")


# Replays, conflicts and duplicates -------------------------------------------------------------


def test_replays_and_conflicts_across_batches_and_single_submissions(
    http: httpx.Client, headers: dict, server: LiveServer
) -> None:
    a, b, c = valid_body(seed=31), valid_body(seed=32), valid_body(seed=33)
    ka, kb, kc, kd = (str(uuid.uuid4()) for _ in range(4))
    first = _results(post_batch(http, headers, [batch_item(a, ka), batch_item(b, kb)]), 2)
    assert [r["status"] for r in first] == [201, 201]
    single = post_message(http, headers, c, kc)
    assert single.status_code == 201

    changed_b = {**b, "values": {**b["values"], "comment": "another body"}}
    again = _results(
        post_batch(
            http,
            headers,
            [
                batch_item(a, ka),  # replay of a batch item
                batch_item(changed_b, kb),  # the key of b with another body
                batch_item(c, kc),  # replay of a single submission
                batch_item(a, kd),  # a stored message under a new key
            ],
        ),
        4,
    )

    assert again[0] == {**first[0], "status": 200}  # the same receipt, as a replay ...
    _assert_refused(again[1], 409, kb)
    assert "different message" in again[1]["detail"]
    assert again[2]["status"] == 200 and again[2]["receipt"] == single.json()
    _assert_refused(again[3], 409, kd)
    assert "already received" in again[3]["detail"]
    # ... and a single replay of a batch item answers the batch's receipt.
    replay = post_message(http, headers, a, ka)
    assert replay.status_code == 200 and replay.json() == first[0]["receipt"]
    assert rows_per_key(server.session_factory, [ka, kb, kc, kd]) == {
        ka: 1,
        kb: 1,
        kc: 1,
        kd: 0,
    }
    assert stored_receipt(server.session_factory, kb) == first[1]["receipt"]


def test_the_same_key_twice_in_one_batch_is_answered_as_one_after_the_other(
    http: httpx.Client, headers: dict, server: LiveServer
) -> None:
    body, other = valid_body(seed=41), valid_body(seed=42)
    invalid = valid_body(seed=43, patient_id="12345678901")
    fixed = {**invalid, "values": {**invalid["values"], "patient_id": body["values"]["patient_id"]}}
    k1, k2, k3 = (str(uuid.uuid4()) for _ in range(3))
    items = [
        batch_item(body, k1),
        batch_item(body, k1),  # replay of the item before
        batch_item(other, k1),  # another body under that key
        batch_item(invalid, k2),  # refused: nothing stored under k2 ...
        batch_item(fixed, k2),  # ... so the corrected message is new
        batch_item(other, k3),
        batch_item(other, k3),
        batch_item(body, str(uuid.uuid4())),  # the first message again under a new key
    ]

    results = _results(post_batch(http, headers, items), len(items))

    _assert_receipt_for(results[0], 201, k1, body)
    assert results[1]["status"] == 200 and results[1]["receipt"] == results[0]["receipt"]
    _assert_refused(results[2], 409, k1)
    _assert_refused(results[3], 422, k2)
    _assert_receipt_for(results[4], 201, k2, fixed)
    _assert_receipt_for(results[5], 201, k3, other)
    assert results[6]["status"] == 200 and results[6]["receipt"] == results[5]["receipt"]
    assert results[7]["status"] == 409 and "already received" in results[7]["detail"]
    assert rows_per_key(server.session_factory, [k1, k2, k3]) == {k1: 1, k2: 1, k3: 1}
    assert stored_receipt(server.session_factory, k1) == results[0]["receipt"]
    assert stored_receipt(server.session_factory, k2) == results[4]["receipt"]


def test_a_key_in_capitals_is_the_same_key_and_is_answered_as_sent(
    http: httpx.Client, headers: dict, server: LiveServer
) -> None:
    body, key = valid_body(seed=44), str(uuid.uuid4())

    results = _results(post_batch(http, headers, [batch_item(body, key.upper())]), 1)

    _assert_receipt_for(results[0], 201, key.upper(), body)
    replay = post_message(http, headers, body, key)
    assert replay.status_code == 200 and replay.json() == results[0]["receipt"]
    assert rows_per_key(server.session_factory, [key]) == {key: 1}


def test_another_units_key_is_a_conflict_that_reveals_nothing(
    http: httpx.Client, headers: dict, server: LiveServer
) -> None:
    body, key = valid_body(seed=45), str(uuid.uuid4())
    assert _results(post_batch(http, headers, [batch_item(body, key)]), 1)[0]["status"] == 201

    theirs = _results(post_batch(http, sign_in(http, "bergen"), [batch_item(body, key)]), 1)

    _assert_refused(theirs[0], 409, key)
    assert body["message_id"] not in json.dumps(theirs)
    assert rows_per_key(server.session_factory, [key]) == {key: 1}


def test_a_stored_item_resolves_its_patients_reminder_and_a_refused_one_does_not(
    http: httpx.Client, headers: dict, server: LiveServer
) -> None:
    body = valid_body(seed=46)
    refused = valid_body(seed=47)
    del refused["values"]["diagnosis_date"]
    answered = server.add_reminder(
        "demo", registry="breast", form="assessment", patient_id=body["values"]["patient_id"]
    )
    still_open = server.add_reminder(
        "demo", registry="breast", form="assessment", patient_id=refused["values"]["patient_id"]
    )

    results = _results(post_batch(http, headers, [batch_item(body), batch_item(refused)]), 2)

    assert [r["status"] for r in results] == [201, 422]
    open_ids = {r["id"] for r in http.get("/api/v1/reminders", headers=headers).json()["reminders"]}
    assert answered not in open_ids and still_open in open_ids
