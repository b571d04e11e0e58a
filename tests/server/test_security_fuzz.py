"""Schemathesis against the running server's own OpenAPI document, signed in with a real
token: no answer is a 5xx, and every answer has a documented status, content type and shape.
On SQLite and on PostgreSQL; examples are bounded so both runs stay well under two minutes."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.live_server import LiveServer

EXAMPLES_PER_OPERATION = 25
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def fuzzed_server(any_server: LiveServer) -> Iterator[LiveServer]:
    yield any_server


def _token(server: LiveServer) -> str:
    with httpx.Client(base_url=server.url, verify=server.ssl_context(), timeout=10) as client:
        response = client.post("/api/v1/auth/token", json={"username": "demo", "password": "demo"})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_no_server_errors_and_no_schema_violations(fuzzed_server: LiveServer) -> None:
    server = fuzzed_server
    schema = schemathesis.openapi.from_url(
        f"{server.url}/api/v1/openapi.json", verify=str(server.ca_path)
    )
    token = _token(server)
    failures: list[str] = []
    session = requests.Session()
    session.verify = str(server.ca_path)
    started = time.monotonic()
    operations = 0
    statuses: dict[str, set[int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        failures += _fuzz(operation, server, token, session, statuses)
    elapsed = time.monotonic() - started
    print(f"schemathesis: {operations} operations in {elapsed:.1f} s")
    assert operations >= 10
    assert failures == [], "\n".join(failures[:20])
    # Signed in for real: the unit's routes answered, not only refused.
    for signed_in in ("GET /api/v1/reminders", "GET /api/v1/receipts", "GET /api/v1/statistics"):
        assert 200 in statuses[signed_in], statuses


def _fuzz(
    operation,
    server: LiveServer,
    token: str,
    session: requests.Session,
    statuses: dict[str, set[int]],
) -> list[str]:
    failures: list[str] = []
    path = operation.path

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case) -> None:
        # Sign-out revokes the token it is sent with: give it one of its own.
        bearer = _token(server) if path.endswith("/auth/sign-out") else token
        try:
            response = case.call_and_validate(
                base_url=server.url,
                session=session,
                headers={"Authorization": f"Bearer {bearer}"},
                checks=CHECKS,
                excluded_checks=[negative_data_rejection],
                timeout=20,
                verify=str(server.ca_path),
            )
        except Exception as failure:  # collected, reported together
            failures.append(f"{case.method} {case.path}: {str(failure)[:500]}")
        else:
            statuses.setdefault(f"{case.method} {path}", set()).add(response.status_code)

    run()
    return failures
