"""GET /receipts with several server processes: the cursor lags behind fresh receipts (a lower
seq may still commit beside them), so none is ever skipped; a cursor this server never gave
is a 400, never a 500 (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime

import httpx
import pytest
from sqlalchemy import select, update

from registry_server.models import Receipt, utcnow
from tests.server.helpers import sign_in, submit, valid_body
from tests.support.live_server import LiveServer

URL = "/api/v1/receipts"
NOT_OURS = "The since cursor is not one this server gave; omit it to fetch all receipts."


def _client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, verify=server.ssl_context(), timeout=10)


def _received(server: LiveServer, receipt_id: str, seconds_ago: float) -> None:
    moment = utcnow() - datetime.timedelta(seconds=seconds_ago)
    with server.session_factory.begin() as session:
        session.execute(
            update(Receipt).where(Receipt.receipt_id == receipt_id).values(received_at=moment)
        )


def _seq(server: LiveServer, receipt_id: str) -> int:
    with server.session_factory() as session:
        return session.scalars(select(Receipt.seq).where(Receipt.receipt_id == receipt_id)).one()


def test_the_cursor_moves_only_over_receipts_received_a_while_ago(
    live_server: LiveServer, client: httpx.Client
) -> None:
    assert live_server.settings.receipts_cursor_settle_s == 60
    headers = sign_in(client)
    sent = [submit(client, headers, valid_body(seed=40 + i)).json() for i in range(4)]
    ids = [r["receipt_id"] for r in sent]
    for receipt_id in ids[:2]:
        _received(live_server, receipt_id, 120)
    _received(live_server, ids[3], 120)  # settled, but after a fresh one

    page = client.get(URL, headers=headers).json()
    assert [r["receipt_id"] for r in page["receipts"]] == ids  # everything is returned
    assert page["cursor"] == str(_seq(live_server, ids[1]))  # ... the cursor stops before fresh

    again = client.get(URL, params={"since": page["cursor"]}, headers=headers).json()
    assert [r["receipt_id"] for r in again["receipts"]] == ids[2:]  # the fresh ones again
    assert again["cursor"] == page["cursor"]  # a client stops paging here

    # A receipt with a lower seq committed late (another process): still after the cursor.
    _received(live_server, ids[2], 61)
    later = client.get(URL, params={"since": page["cursor"]}, headers=headers).json()
    assert [r["receipt_id"] for r in later["receipts"]] == ids[2:]
    assert later["cursor"] == str(_seq(live_server, ids[3]))
    done = client.get(URL, params={"since": later["cursor"]}, headers=headers).json()
    assert done == {"receipts": [], "cursor": later["cursor"]}


def test_without_settling_the_cursor_follows_every_receipt(
    live_server: LiveServer, client: httpx.Client
) -> None:
    live_server.settings.receipts_cursor_settle_s = 0
    headers = sign_in(client)
    first = submit(client, headers, valid_body(seed=50)).json()
    page = client.get(URL, headers=headers).json()
    assert page["cursor"] == str(_seq(live_server, first["receipt_id"]))


@pytest.mark.parametrize(
    "since",
    ["99999999999999999999", "1" * 19, "²", "١٢", "-1", "1.5", " 1", "0x10", "1e3"],
)
def test_a_cursor_this_server_never_gave_is_a_400(any_server: LiveServer, since: str) -> None:
    with _client(any_server) as client:
        response = client.get(URL, params={"since": since}, headers=sign_in(client))
    assert response.status_code == 400, response.text
    assert response.json() == {"detail": NOT_OURS}


def test_the_largest_cursor_is_answered(any_server: LiveServer) -> None:
    with _client(any_server) as client:
        response = client.get(URL, params={"since": "9" * 18}, headers=sign_in(client))
    assert response.status_code == 200, response.text
    assert response.json() == {"receipts": [], "cursor": "9" * 18}
