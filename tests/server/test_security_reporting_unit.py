"""A message reports for the signed-in user's own unit (hospital and department)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from desktop_app.forms import example_values
from tests.server.helpers import breast_assessment, sign_in, submit, submit_batch
from tests.support.live_server import LiveServer

# The demo user's unit: Ullevål (0320, Oslo: region 1), surgery.
OWN = {"region": "1", "hospital": "0320", "department": "surgery"}
OTHER_HOSPITAL = {"region": "2", "hospital": "1305", "department": "surgery"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(tmp_path / "server", reporting_unit_check=True) as server:
        yield server


@pytest.fixture
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, verify=server.ssl_context(), timeout=10) as client:
        yield client


def _body(envelope: dict, seed: int = 1) -> dict:
    definition = breast_assessment()
    values = example_values(definition, random.Random(seed), fixed=envelope)
    return {
        "message_id": str(uuid.uuid4()),
        "registry": definition.registry,
        "form": definition.form,
        "version": definition.version,
        "values": definition.submitted_values(values),
    }


def test_own_unit_is_accepted(http: httpx.Client) -> None:
    assert submit(http, sign_in(http), _body(OWN)).status_code == 201


@pytest.mark.parametrize(
    ("envelope", "paths"),
    [
        (OTHER_HOSPITAL, ["hospital"]),
        ({**OWN, "department": "oncology"}, ["department"]),
        ({**OTHER_HOSPITAL, "department": "oncology"}, ["hospital", "department"]),
    ],
)
def test_another_unit_is_refused_with_issues(
    http: httpx.Client, server: LiveServer, envelope: dict, paths: list[str]
) -> None:
    response = submit(http, sign_in(http), _body(envelope))
    assert response.status_code == 422
    data = response.json()
    assert "another unit than yours" in data["detail"] and "0320" in data["detail"]
    assert [issue["path"] for issue in data["issues"]] == paths
    assert {issue["key"] for issue in data["issues"]} == {"reporting_unit"}
    assert all(issue["severity"] == "error" and issue["text"]["nb"] for issue in data["issues"])
    assert server.message_count() == 0


def test_in_a_batch_only_that_item_is_refused(http: httpx.Client, server: LiveServer) -> None:
    items = [
        {"idempotency_key": str(uuid.uuid4()), "message": _body(OWN, 1)},
        {"idempotency_key": str(uuid.uuid4()), "message": _body(OTHER_HOSPITAL, 2)},
        {"idempotency_key": str(uuid.uuid4()), "message": _body(OWN, 3)},
    ]
    response = submit_batch(http, sign_in(http), items)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 422, 201]
    assert results[1]["issues"][0]["path"] == "hospital"
    assert server.message_count() == 2


def test_the_other_unit_may_report_its_own(http: httpx.Client) -> None:
    bergen = {"region": "2", "hospital": "1305", "department": "oncology"}
    headers = sign_in(http, "bergen")
    assert submit(http, headers, _body(bergen)).status_code == 201
    assert submit(http, headers, _body(OWN)).status_code == 422
