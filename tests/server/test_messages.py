"""Submitting messages: receipts, idempotency, validation, limits."""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from desktop_app.forms import body_sha256
from tests.server.helpers import body_for, catalogue, sign_in, submit, valid_body
from tests.support.live_server import LiveServer


def _independent_sha256(body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_valid_message_gets_a_201_receipt_with_the_body_hash(
    client: httpx.Client, live_server: LiveServer
) -> None:
    headers = sign_in(client)
    body = valid_body()

    response = submit(client, headers, body)

    assert response.status_code == 201, response.text
    receipt = response.json()
    assert set(receipt) == {
        "receipt_id",
        "message_id",
        "registry",
        "form",
        "version",
        "received_at",
        "body_sha256",
        "unit_id",
        "key_id",
        "signature",
    }
    assert receipt["message_id"] == body["message_id"]
    assert (receipt["registry"], receipt["form"], receipt["version"]) == (
        body["registry"],
        body["form"],
        body["version"],
    )
    assert receipt["body_sha256"] == body_sha256(body) == _independent_sha256(body)
    assert receipt["unit_id"] == live_server.unit_id_of("demo")
    assert receipt["received_at"].endswith("Z")
    assert live_server.message_count() == 1


def test_hash_is_of_the_body_as_sent_even_with_non_ascii_text(client: httpx.Client) -> None:
    headers = sign_in(client)
    body = valid_body(seed=2)
    body["values"]["patient_name"] = "Ærlig Østby Åsheim"  # synthetic

    response = submit(client, headers, body)

    assert response.status_code == 201, response.text
    assert response.json()["body_sha256"] == _independent_sha256(body)


def test_replay_with_same_key_and_body_returns_the_same_receipt(
    client: httpx.Client, live_server: LiveServer
) -> None:
    headers = sign_in(client)
    body, key = valid_body(), str(uuid.uuid4())

    first = submit(client, headers, body, key)
    second = submit(client, headers, body, key)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    assert live_server.message_count() == 1
    receipts = client.get("/api/v1/receipts", headers=headers).json()["receipts"]
    assert receipts == [first.json()]


def test_replay_survives_a_server_restart(client: httpx.Client, live_server: LiveServer) -> None:
    headers = sign_in(client)
    body, key = valid_body(), str(uuid.uuid4())
    first = submit(client, headers, body, key)

    live_server.stop()
    live_server.start()
    second = submit(client, headers, body, key)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()


def test_same_key_with_another_body_is_409_and_nothing_more_is_stored(
    client: httpx.Client, live_server: LiveServer
) -> None:
    headers = sign_in(client)
    key = str(uuid.uuid4())
    body = valid_body()
    assert submit(client, headers, body, key).status_code == 201
    changed = json.loads(json.dumps(body))
    changed["values"]["comment"] = "changed after sending"

    response = submit(client, headers, changed, key)

    assert response.status_code == 409
    assert "different message" in response.json()["detail"]
    assert live_server.message_count() == 1


def test_same_message_under_a_new_key_is_not_stored_twice(
    client: httpx.Client, live_server: LiveServer
) -> None:
    headers = sign_in(client)
    body = valid_body()
    assert submit(client, headers, body).status_code == 201

    response = submit(client, headers, body)

    assert response.status_code == 409
    assert "already received" in response.json()["detail"]
    assert live_server.message_count() == 1


def test_concurrent_retries_store_one_message(
    client: httpx.Client, live_server: LiveServer
) -> None:
    headers = sign_in(client)
    body, key = valid_body(), str(uuid.uuid4())

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda _: submit(client, headers, body, key), range(6)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 5 + [201], [r.text for r in responses]
    assert len({r.json()["receipt_id"] for r in responses}) == 1
    assert live_server.message_count() == 1


def test_invalid_message_is_422_with_field_issues_and_nothing_stored(
    client: httpx.Client, live_server: LiveServer
) -> None:
    headers = sign_in(client)
    body = valid_body(patient_id="12345678901")
    del body["values"]["diagnosis_date"]

    response = submit(client, headers, body)

    assert response.status_code == 422
    data = response.json()
    assert "correct the marked fields" in data["detail"]
    by_path = {issue["path"]: issue for issue in data["issues"]}
    assert {"patient_id", "diagnosis_date"} <= set(by_path)
    assert by_path["patient_id"]["key"].startswith("identity_number.")
    assert by_path["diagnosis_date"]["key"] == "required"
    for issue in data["issues"]:
        assert set(issue) >= {"path", "severity", "key", "params", "message"}
        assert issue["severity"] == "error" and issue["message"]
    assert live_server.message_count() == 0


def test_unknown_form_version_is_422(client: httpx.Client, live_server: LiveServer) -> None:
    headers = sign_in(client)
    body = valid_body()
    body["version"] = 999

    response = submit(client, headers, body)

    assert response.status_code == 422
    assert "no form breast/assessment version 999" in response.json()["detail"]
    assert live_server.message_count() == 0


def test_malformed_or_wrongly_shaped_bodies_are_422(
    client: httpx.Client, live_server: LiveServer
) -> None:
    headers = sign_in(client)
    good = valid_body()
    bad_bodies: list[bytes] = [
        b"{not json",
        b"[1, 2]",
        b'{"a": 1}',
        json.dumps({**good, "version": "1"}).encode(),
        json.dumps({**good, "values": []}).encode(),
        json.dumps({**good, "extra": True}).encode(),
        json.dumps({**good, "message_id": "not-a-uuid"}).encode(),
        json.dumps(good).replace('"values": {', '"values": {"x": NaN, ').encode(),
        b"\xff\xfe",
    ]
    for raw in bad_bodies:
        response = submit(client, headers, raw)
        assert response.status_code == 422, raw
        assert isinstance(response.json()["detail"], str) and response.json()["detail"], raw
    assert live_server.message_count() == 0


def test_missing_or_ill_formed_idempotency_key_is_400(
    client: httpx.Client, live_server: LiveServer
) -> None:
    headers = sign_in(client)
    missing = client.post("/api/v1/messages", json=valid_body(), headers=headers)
    assert missing.status_code == 400
    assert "Idempotency-Key" in missing.json()["detail"]
    for key in ["abc", "1" * 36, str(uuid.uuid4()) + "0"]:
        assert submit(client, headers, valid_body(), key).status_code == 400, key
    assert live_server.message_count() == 0


def test_body_over_the_limit_is_413(client: httpx.Client, live_server: LiveServer) -> None:
    headers = sign_in(client)
    body = valid_body(comment="x" * (256 * 1024))

    declared = submit(client, headers, body)

    def chunks():
        raw = json.dumps(body).encode()
        for i in range(0, len(raw), 16 * 1024):
            yield raw[i : i + 16 * 1024]

    streamed = client.post(  # no Content-Length: chunked transfer
        "/api/v1/messages",
        content=chunks(),
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )

    for response in (declared, streamed):
        assert response.status_code == 413
        assert "256 KiB" in response.json()["detail"]
    assert live_server.message_count() == 0


def test_receipted_message_resolves_the_matching_reminder(
    client: httpx.Client, live_server: LiveServer
) -> None:
    headers = sign_in(client)
    body = valid_body()
    patient_id = body["values"]["patient_id"]
    matching = live_server.add_reminder(
        "demo", registry="breast", form="assessment", patient_id=patient_id
    )
    other_form = live_server.add_reminder(
        "demo", registry="breast", form="surgery", patient_id=patient_id
    )

    assert submit(client, headers, body).status_code == 201

    open_ids = {
        r["id"] for r in client.get("/api/v1/reminders", headers=headers).json()["reminders"]
    }
    assert matching not in open_ids
    assert other_form in open_ids


def test_issues_in_repeat_rows_carry_the_row_in_their_path(
    client: httpx.Client, live_server: LiveServer
) -> None:
    headers = sign_in(client)
    definition = catalogue().latest("lymphoid", "treatment")
    body = body_for(definition, 5)
    rows = body["values"]["treatment_lines"]
    rows.append({**rows[0], "line_cycles": 99})  # over the maximum, in the last row
    del rows[0]["line_start_date"]  # required in every row

    response = submit(client, headers, body)

    assert response.status_code == 422, response.text
    found = {(i["path"], i["key"]) for i in response.json()["issues"]}
    last = len(rows) - 1
    assert (f"treatment_lines[{last}].line_cycles", "number.above_max") in found
    assert ("treatment_lines[0].line_start_date", "required") in found
    assert live_server.message_count() == 0


def test_too_few_rows_is_an_issue_on_the_group(client: httpx.Client) -> None:
    headers = sign_in(client)
    definition = catalogue().latest("lymphoid", "treatment")
    body = body_for(definition, 5)
    body["values"]["treatment_lines"] = []

    response = submit(client, headers, body)

    assert response.status_code == 422, response.text
    paths = {i["path"] for i in response.json()["issues"]}
    assert "treatment_lines" in paths


def test_a_client_leaving_mid_upload_is_no_server_error(
    client: httpx.Client, live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    token = sign_in(client)["Authorization"]
    head = (
        "POST /api/v1/messages/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: {token}\r\nContent-Type: application/json\r\n"
        "Content-Length: 5000\r\n\r\n"
    )
    with caplog.at_level(logging.INFO):
        raw = socket.create_connection(("127.0.0.1", live_server.port))
        with live_server.ssl_context().wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(head.encode() + b'{"items": [')  # a laptop closed mid-upload
        time.sleep(0.3)
        assert client.get("/api/v1/health").status_code == 200

    assert "disconnected before its request was complete" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert live_server.message_count() == 0
