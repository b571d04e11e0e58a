"""ApiClient.submit_batch: how each answer of a server becomes a result or an exception.

A tiny ASGI app on loopback (plain HTTP, allowed here on purpose) plays a server that answers
exactly what each test needs, including answers the real server never gives (a wrong number of
results, a receipt for another message). test_sync_engine.py uses the real server.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import uvicorn

from desktop_app.sync.api_client import (
    ApiClient,
    ApiError,
    AuthError,
    Conflict,
    Invalid,
    Receipted,
    Refused,
    ServerError,
)

Answer = tuple[int, dict[str, str], Any]  # status, headers, JSON body
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


class ScriptedServer:
    """Answers every request with `self.answer(request_json)`; keeps the requests it got."""

    def __init__(self) -> None:
        self.answer: Callable[[dict], Answer] = lambda request: (500, {}, {"detail": "unset"})
        self.requests: list[tuple[str, dict[str, str], dict]] = []

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = json.loads(body) if body else {}
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.requests.append((scope["path"], headers, request))
        status, extra, payload = self.answer(request)
        data = json.dumps(payload).encode()
        raw_headers = [(b"content-type", b"application/json")]
        raw_headers += [(k.encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": data})


@pytest.fixture(scope="module")
def scripted() -> Iterator[tuple[ScriptedServer, str]]:
    app = ScriptedServer()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_config=None, log_level="warning", access_log=False, lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the scripted server did not start"
        time.sleep(0.01)
    yield app, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)
    sock.close()


@pytest.fixture
def server(scripted: tuple[ScriptedServer, str]) -> ScriptedServer:
    app, _ = scripted
    app.requests.clear()
    return app


@pytest.fixture
def api(scripted: tuple[ScriptedServer, str]) -> Iterator[ApiClient]:
    with ApiClient(scripted[1], allow_insecure_http=True, timeout=5) as client:
        yield client


def _body() -> dict:
    return {
        "message_id": str(uuid.uuid4()),
        "registry": "breast",
        "form": "assessment",
        "version": 1,
        "values": {"a": "1"},
    }


def _items(count: int) -> list[tuple[str, dict]]:
    return [(str(uuid.uuid4()), _body()) for _ in range(count)]


def _receipt(body: dict) -> dict:
    return {"receipt_id": str(uuid.uuid4()), "message_id": body["message_id"], "unit_id": "1"}


def _result(item: dict, status: int, **fields: Any) -> dict:
    return {
        "idempotency_key": item["idempotency_key"],
        "status": status,
        "receipt": None,
        "detail": None,
        "issues": None,
        **fields,
    }


def test_the_request_and_each_kind_of_item_result(api: ApiClient, server: ScriptedServer) -> None:
    issues = [{"path": "a", "severity": "error", "key": "required", "params": {}}]
    made: list[dict] = []

    def answer(request: dict) -> Answer:
        first, second, third, fourth, fifth, sixth = request["items"]
        made.extend([_receipt(first["message"]), _receipt(second["message"])])
        return (
            200,
            {},
            {
                "results": [
                    _result(first, 201, receipt=made[0]),
                    _result(second, 200, receipt=made[1]),
                    _result(third, 422, detail="The message has 1 error.", issues=issues),
                    _result(fourth, 409, detail="The key was used for another message."),
                    _result(fifth, 400, detail="The idempotency key is not a UUID."),
                    _result(sixth, 413, detail="The message is larger than 256 KiB."),
                ]
            },
        )

    server.answer = answer
    items = _items(6)

    results = api.submit_batch("secret-token", items)

    path, headers, request = server.requests[0]
    assert path == "/api/v1/messages/batch"
    assert headers["authorization"] == "Bearer secret-token"
    assert "idempotency-key" not in headers  # each item carries its own
    assert request == {"items": [{"idempotency_key": k, "message": b} for k, b in items]}
    assert results[0] == Receipted(receipt=made[0], replay=False)
    assert results[1] == Receipted(receipt=made[1], replay=True)
    assert results[2] == Invalid(issues=issues, detail="The message has 1 error.")
    assert results[3] == Conflict(detail="The key was used for another message.")
    assert results[4] == Refused(status=400, detail="The idempotency key is not a UUID.")
    assert results[5] == Refused(status=413, detail="The message is larger than 256 KiB.")


@pytest.mark.parametrize(
    ("status", "headers", "retry_after"),
    [
        (408, {}, None),
        (429, {"Retry-After": "7"}, 7.0),
        (503, {"Retry-After": "120"}, 120.0),
        (500, {}, None),
    ],
)
def test_timeouts_overload_and_server_failures_are_retryable(
    api: ApiClient,
    server: ScriptedServer,
    status: int,
    headers: dict[str, str],
    retry_after: float | None,
) -> None:
    server.answer = lambda request: (status, headers, {"detail": "Slow down."})

    with pytest.raises(ServerError) as raised:
        api.submit_batch("t", _items(2))

    assert raised.value.status == status
    assert raised.value.retry_after == retry_after
    assert "will be sent later" in raised.value.message


def test_401_is_an_auth_error_and_other_4xx_refuse_the_whole_request(
    api: ApiClient, server: ScriptedServer
) -> None:
    server.answer = lambda request: (401, {}, {"detail": "Token expired."})
    with pytest.raises(AuthError):
        api.submit_batch("t", _items(1))

    server.answer = lambda request: (400, {}, {"detail": "A batch holds 1 to 100 items."})
    with pytest.raises(ApiError) as raised:
        api.submit_batch("t", _items(1))
    assert type(raised.value) is ApiError
    assert raised.value.status == 400
    assert raised.value.message.endswith("A batch holds 1 to 100 items.")


def _wrong_count(request: dict) -> Answer:
    items = request["items"][:-1]
    return 200, {}, {"results": [_result(i, 201, receipt=_receipt(i["message"])) for i in items]}


def _wrong_order(request: dict) -> Answer:
    items = list(reversed(request["items"]))
    return 200, {}, {"results": [_result(i, 201, receipt=_receipt(i["message"])) for i in items]}


def _receipt_for_another_message(request: dict) -> Answer:
    items = request["items"]
    other = items[1]["message"]
    return 200, {}, {"results": [_result(i, 201, receipt=_receipt(other)) for i in items]}


def _unknown_item_status(request: dict) -> Answer:
    return 200, {}, {"results": [_result(i, 502) for i in request["items"]]}


def _not_json(request: dict) -> Answer:
    return 200, {}, "results"


@pytest.mark.parametrize(
    "answer",
    [_wrong_count, _wrong_order, _receipt_for_another_message, _unknown_item_status, _not_json],
)
def test_an_answer_that_does_not_fit_the_items_is_never_taken_as_results(
    api: ApiClient, server: ScriptedServer, answer: Callable[[dict], Answer]
) -> None:
    server.answer = answer
    with pytest.raises(ServerError) as raised:
        api.submit_batch("t", _items(2))
    assert raised.value.message.startswith("The registry server sent an")
