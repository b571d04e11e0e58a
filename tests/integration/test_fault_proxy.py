"""The fault-injection test tools do what they say (tests/support/fault_proxy.py and
server_faults.py), checked with a plain httpx client against the real server over TLS.

Each fault is checked by its effect on the server: reset_before leaves nothing there,
reset_after and hold leave a committed message the client never heard of (a resend with the
same key is a replay), slice still delivers every request and answer intact.
"""

from __future__ import annotations

import random
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from desktop_app.forms import Catalogue, example_values
from tests.support.fault_proxy import FAULT_MODES, FaultProxy
from tests.support.live_server import LiveServer
from tests.support.server_faults import (
    ServedRequest,
    ServerFaults,
    assert_retry_after_respected,
    retry_after_violations,
)

from .conftest import DEMO_USER

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def bearer(server: LiveServer) -> dict[str, str]:
    with httpx.Client(base_url=server.url, verify=server.ssl_context()) as client:
        answer = client.post(
            "/api/v1/auth/token", json=dict(zip(("username", "password"), DEMO_USER, strict=True))
        )
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture
def body(catalogue: Catalogue) -> dict:
    """A valid message body with a new message id."""
    definition = catalogue.latest("breast", "assessment")
    values = example_values(definition, random.Random(7))
    return {
        "message_id": str(uuid.uuid4()),
        "registry": definition.registry,
        "form": definition.form,
        "version": definition.version,
        "values": definition.submitted_values(values),
    }


def _client(url: str, server: LiveServer, timeout: float = 5.0) -> httpx.Client:
    return httpx.Client(base_url=url, verify=server.ssl_context(), timeout=timeout)


def _post(client: httpx.Client, bearer: dict, body: dict, key: str) -> httpx.Response:
    return client.post("/api/v1/messages", json=body, headers={**bearer, "Idempotency-Key": key})


@pytest.fixture
def direct(server: LiveServer) -> Iterator[httpx.Client]:
    with _client(server.url, server) as client:
        yield client


def test_pass_counts_each_request_of_a_keep_alive_connection(
    server: LiveServer, bearer: dict, body: dict
) -> None:
    with FaultProxy(server.port, mode="pass") as proxy, _client(proxy.url, server) as client:
        for _ in range(4):
            assert client.get("/api/v1/health").status_code == 200
        assert _post(client, bearer, body, str(uuid.uuid4())).status_code == 201
        assert client.get("/api/v1/forms").status_code == 200

        stats = proxy.stats
    assert stats.connections == 1  # all six on one connection
    assert (stats.requests, stats.answers) == (6, 6)
    assert stats.decisions == ("pass",) * 6
    assert stats.faulted == 0


def test_reset_before_the_request_reaches_the_server(
    server: LiveServer, bearer: dict, body: dict, direct: httpx.Client
) -> None:
    key = str(uuid.uuid4())
    before = server.message_count()
    with (
        FaultProxy(server.port, mode="reset_before", probability=1.0) as proxy,
        _client(proxy.url, server) as client,
    ):
        with pytest.raises(httpx.TransportError):
            _post(client, bearer, body, key)
        stats = proxy.stats

    assert stats.faults["reset_before"] == 1
    assert stats.answers == 0
    assert server.message_count() == before
    # The server never saw the key: sending again stores the message now (201, not a replay).
    assert _post(direct, bearer, body, key).status_code == 201


def test_reset_after_the_server_committed(
    server: LiveServer, bearer: dict, body: dict, direct: httpx.Client
) -> None:
    key = str(uuid.uuid4())
    before = server.message_count()
    with (
        FaultProxy(server.port, mode="reset_after", probability=1.0) as proxy,
        _client(proxy.url, server) as client,
    ):
        with pytest.raises(httpx.TransportError) as raised:
            _post(client, bearer, body, key)
        stats = proxy.stats

    assert not isinstance(raised.value, httpx.TimeoutException)  # reset, not held
    assert (stats.faults["reset_after"], stats.answers) == (1, 1)
    assert server.message_count() == before + 1
    # The client never got the receipt; the same key brings the original one back.
    assert _post(direct, bearer, body, key).status_code == 200
    assert server.message_count() == before + 1


def test_hold_keeps_the_answer_past_the_client_timeout(
    server: LiveServer, bearer: dict, body: dict, direct: httpx.Client
) -> None:
    key = str(uuid.uuid4())
    before = server.message_count()
    with (
        FaultProxy(server.port, mode="hold", probability=1.0, hold_s=2.0) as proxy,
        _client(proxy.url, server, timeout=0.5) as client,
    ):
        with pytest.raises(httpx.ReadTimeout):
            _post(client, bearer, body, key)
        stats = proxy.stats

    assert (stats.faults["hold"], stats.answers) == (1, 1)
    assert server.message_count() == before + 1
    assert _post(direct, bearer, body, key).status_code == 200


def test_slice_delivers_requests_and_answers_in_small_pieces(
    server: LiveServer, bearer: dict, body: dict, catalogue: Catalogue
) -> None:
    before = server.message_count()
    with (
        FaultProxy(server.port, mode="slice", probability=1.0, seed=3) as proxy,
        _client(proxy.url, server) as client,
    ):
        receipts = []
        for _ in range(3):
            body = {**body, "message_id": str(uuid.uuid4())}
            answer = _post(client, bearer, body, str(uuid.uuid4()))
            assert answer.status_code == 201, answer.text
            receipts.append(answer.json())
        forms = client.get("/api/v1/forms")
        stats = proxy.stats

    assert [r["version"] for r in receipts] == [body["version"]] * 3
    assert forms.status_code == 200 and forms.json()["forms"]
    assert server.message_count() == before + 3
    assert stats.connections == 1 and stats.faults["slice"] == 4 == stats.requests
    # Requests of ~1 kB and the form list went through, at most 16 bytes a piece.
    assert stats.sliced_bytes > 4000
    assert stats.sliced_pieces * 16 >= stats.sliced_bytes


def test_faults_are_decided_per_request_and_repeat_with_the_seed(server: LiveServer) -> None:
    def run(seed: int) -> tuple[tuple[str, ...], list[bool]]:
        with (
            FaultProxy(server.port, mode="reset_before", probability=0.3, seed=seed) as proxy,
            _client(proxy.url, server) as client,
        ):
            failed = []
            for _ in range(30):
                try:
                    failed.append(client.get("/api/v1/health").status_code != 200)
                except httpx.TransportError:
                    failed.append(True)
            return proxy.stats.decisions, failed

    decisions, failed = run(seed=11)
    assert len(decisions) == 30
    # Exactly the faulted requests failed, on kept-alive and new connections alike.
    assert failed == [d == "reset_before" for d in decisions]
    assert 3 <= decisions.count("reset_before") <= 20
    assert run(seed=11)[0] == decisions
    assert run(seed=12)[0] != decisions


def test_mixed_applies_every_fault(server: LiveServer) -> None:
    outcomes = []
    with (
        FaultProxy(server.port, mode="mixed", probability=1.0, seed=5, hold_s=0.6) as proxy,
        _client(proxy.url, server, timeout=0.3) as client,
    ):
        for _ in range(16):
            try:
                outcomes.append(str(client.get("/api/v1/health").status_code))
            except httpx.TimeoutException:
                outcomes.append("timeout")
            except httpx.TransportError:
                outcomes.append("reset")
        stats = proxy.stats

    assert set(stats.decisions) == set(FAULT_MODES)
    expected = {"reset_before": "reset", "reset_after": "reset", "hold": "timeout", "slice": "200"}
    assert outcomes == [expected[d] for d in stats.decisions]


def test_a_refused_certificate_starts_no_request(server: LiveServer) -> None:
    other_ca = ssl.create_default_context()  # the public CAs, not the test server's
    with (
        FaultProxy(server.port, mode="pass") as proxy,
        httpx.Client(base_url=proxy.url, verify=other_ca) as client,
    ):
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            client.get("/api/v1/health")
        stats = proxy.stats
    assert (stats.connections, stats.requests, stats.answers) == (1, 0, 0)


# Server-side faults ----------------------------------------------------------------------


def test_server_faults_refuse_posts_with_retry_after(
    tmp_path: Path, bearer: dict, body: dict
) -> None:
    faults = ServerFaults(probability=1.0, statuses=(429,), retry_after=2)
    with LiveServer(tmp_path, wrap_app=faults.wrap) as server:
        with _client(server.url, server) as client:
            token = client.post(
                "/api/v1/auth/token",
                json=dict(zip(("username", "password"), DEMO_USER, strict=True)),
            )
            auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
            refused = _post(client, auth, body, str(uuid.uuid4()))
            health = client.get("/api/v1/health")
        assert server.message_count() == 0

    assert token.status_code == 200  # only the message paths are refused
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "2"
    assert "test fault" in refused.json()["detail"]
    assert health.status_code == 200
    log = faults.log
    assert [(r.method, r.path, r.status, r.refused) for r in log] == [
        ("POST", "/api/v1/auth/token", 200, False),
        ("POST", "/api/v1/messages", 429, True),
        ("GET", "/api/v1/health", 200, False),
    ]
    assert log[1].retry_after == 2.0
    # The health check came at once after the 429: a violation the check must see.
    assert len(retry_after_violations(log)) == 1
    with pytest.raises(AssertionError, match="Retry-After"):
        assert_retry_after_respected(log)


def test_retry_after_check() -> None:
    def served(at: float, status: int, retry_after: float | None = None) -> ServedRequest:
        return ServedRequest(at, "POST", "/api/v1/messages/batch", status, retry_after, True)

    patient = [served(10.0, 503, 1.0), served(11.0, 429, 1.0), served(12.5, 201)]
    assert retry_after_violations(patient) == []
    hasty = [served(10.0, 503, 1.0), served(10.2, 201), served(10.99, 201), served(11.2, 201)]
    assert len(retry_after_violations(hasty)) == 2


def test_an_answer_the_client_never_read_does_not_bind_it() -> None:
    def served(at: float, port: int, retry_after: float | None = None) -> ServedRequest:
        status = 201 if retry_after is None else 503
        return ServedRequest(at, "POST", "/api/v1/messages/batch", status, retry_after, True, port)

    # The 503 on port 1 was the last answer there and the proxy withheld it; the client
    # retried on a new connection (port 2) at once, as it should.
    log = [served(10.0, 1), served(10.1, 1, retry_after=1.0), served(10.2, 2)]
    assert len(retry_after_violations(log)) == 1
    assert retry_after_violations(log, withheld_ports={1}) == []
    # A withheld port's earlier answers were read: only the last one is excused.
    read_then_cut = [served(10.0, 1, retry_after=1.0), served(10.5, 1), served(10.6, 2)]
    assert len(retry_after_violations(read_then_cut, withheld_ports={1})) == 2


def test_the_proxy_names_the_connections_whose_answer_it_withheld(
    server: LiveServer, bearer: dict, body: dict
) -> None:
    with FaultProxy(server.port, mode="reset_after", probability=1.0) as proxy:
        with _client(proxy.url, server) as client, pytest.raises(httpx.TransportError):
            _post(client, bearer, body, str(uuid.uuid4()))
        stats = proxy.stats
    assert stats.faults["reset_after"] == 1 and len(stats.withheld_ports) == 1
