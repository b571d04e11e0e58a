"""500 queued messages reach the server exactly once through a faulty network (issue 4).

Real parts only: a client cache file with 500 queued messages, the real SyncEngine and
ApiClient (batches of 25, a 1 s timeout, a short backoff), the fault proxy between them and the
real registry server over TLS, which is wrapped in ServerFaults.

Per fault, at 30 % of the requests: the server holds exactly the 500 messages (each once, by
message_id), every one of them is receipted in the cache with the server's receipt id, the
fault really happened, and no request reached the server before a Retry-After had passed.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from random import Random

import pytest
from sqlalchemy import select

from desktop_app.auth import SessionService, TokenStore
from desktop_app.events import EventBus
from desktop_app.forms import Catalogue
from desktop_app.sync.api_client import ApiClient
from desktop_app.sync.engine import SyncEngine
from local_cache import MessageState, open_cache
from registry_server.models import Message, Receipt
from tests.support.fault_proxy import FaultProxy, Mode, ProxyStats
from tests.support.live_server import LiveServer
from tests.support.server_faults import ServerFaults, assert_retry_after_respected

from .conftest import DEMO_USER, queue_messages

pytestmark = pytest.mark.timeout(120)

COUNT = 500
BATCH_SIZE = 25
CLIENT_TIMEOUT_S = 1.0
SHARE = 0.3
SYNC_DEADLINE_S = 90.0  # far beyond the usual ~10 s: only a stuck engine reaches it


@pytest.fixture(scope="module")
def outbox_file(tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue) -> Path:
    """A cache file with COUNT queued messages, built once and copied for each test."""
    path = tmp_path_factory.mktemp("outbox") / "cache.sqlite3"
    cache = open_cache(path)
    try:
        queue_messages(cache, catalogue, COUNT, seed=4)
    finally:
        cache.close()
    return path


@dataclass
class SyncRun:
    proxy: ProxyStats
    faults: ServerFaults
    seconds: float


def _sync_through_faults(
    tmp_path: Path,
    outbox_file: Path,
    *,
    mode: Mode = "pass",
    probability: float = 0.0,
    statuses: tuple[int, ...] = (503, 429),
    server_probability: float = 0.0,
    seed: int = 1,
) -> SyncRun:
    """Send the whole outbox through the faults; check it all arrived once and was receipted."""
    cache_path = tmp_path / "client" / "cache.sqlite3"
    cache_path.parent.mkdir(parents=True)
    shutil.copy(outbox_file, cache_path)
    faults = ServerFaults(probability=server_probability, statuses=statuses, seed=seed)
    with (
        LiveServer(tmp_path / "server", wrap_app=faults.wrap) as server,
        FaultProxy(server.port, mode=mode, probability=probability, seed=seed, hold_s=2.5) as proxy,
        ApiClient(server.url, ca_bundle=str(server.ca_path)) as direct,
        ApiClient(proxy.url, ca_bundle=str(server.ca_path), timeout=CLIENT_TIMEOUT_S) as api,
    ):
        cache = open_cache(cache_path)
        sessions = SessionService(direct, cache.users, TokenStore(), server.url)
        session = sessions.sign_in(*DEMO_USER)
        queued = {r.id: r for r in cache.messages.list(DEMO_USER[0])}
        assert len(queued) == COUNT and all(r.state == MessageState.QUEUED for r in queued.values())
        engine = SyncEngine(
            cache,
            api,
            session,
            EventBus(),
            interval_s=60.0,
            retry_s=0.05,
            max_backoff_s=0.2,
            batch_size=BATCH_SIZE,
            rng=Random(seed),
        )
        started = time.monotonic()
        engine.start()
        try:
            while cache.messages.count_unsent(DEMO_USER[0]) > 0:
                assert time.monotonic() - started < SYNC_DEADLINE_S, (
                    f"{cache.messages.count_unsent(DEMO_USER[0])} messages still unsent; "
                    f"last error: {engine.last_error}; proxy: {proxy.stats}"
                )
                time.sleep(0.05)
            seconds = time.monotonic() - started
        finally:
            engine.stop()
            sessions.sign_out(session)
        records = {r.id: r for r in cache.messages.list(DEMO_USER[0])}
        cache.close()
        with server.session_factory() as db:
            stored = db.execute(
                select(Message.message_id, Message.idempotency_key, Receipt.receipt_id).join(
                    Receipt, Receipt.message_id == Message.message_id
                )
            ).all()
        stats = proxy.stats

    # The server holds each message exactly once, under the key the client froze at submit.
    assert len(stored) == COUNT
    assert {row.message_id: row.idempotency_key for row in stored} == {
        r.id: r.idempotency_key for r in queued.values()
    }
    # Every message is receipted locally, with the receipt the server stored for it.
    assert {r.state for r in records.values()} == {MessageState.RECEIPTED}
    assert {r.id: r.receipt_id for r in records.values()} == {
        row.message_id: row.receipt_id for row in stored
    }
    assert_retry_after_respected(faults.log, stats.withheld_ports)
    refusals = len(faults.refusals())
    print(f"{mode}/{server_probability}: {seconds:.1f} s, {stats}, refusals {refusals}")
    return SyncRun(stats, faults, seconds)


@pytest.mark.parametrize("mode", ["reset_before", "reset_after", "hold", "slice"])
def test_network_faults(tmp_path: Path, outbox_file: Path, mode: Mode) -> None:
    run = _sync_through_faults(tmp_path, outbox_file, mode=mode, probability=SHARE, seed=2)

    assert run.proxy.faults[mode] >= 2
    assert run.proxy.faulted == run.proxy.faults[mode]  # no other fault got in
    if mode == "slice":
        # Sliced data still arrives whole: nothing needs sending again.
        assert run.proxy.sliced_pieces > run.proxy.faults["slice"]
    else:
        # Every batch got through once, besides each faulted request (lost to the client).
        assert run.proxy.requests >= COUNT // BATCH_SIZE + run.proxy.faults[mode]


@pytest.mark.parametrize("status", [503, 429])
def test_server_refusals_with_retry_after(tmp_path: Path, outbox_file: Path, status: int) -> None:
    run = _sync_through_faults(
        tmp_path, outbox_file, statuses=(status,), server_probability=SHARE, seed=3
    )

    refusals = run.faults.refusals()
    assert len(refusals) >= 2
    assert {r.status for r in refusals} == {status}
    assert {r.path for r in refusals} == {"/api/v1/messages/batch"}


def test_every_fault_at_once(tmp_path: Path, outbox_file: Path) -> None:
    run = _sync_through_faults(
        tmp_path,
        outbox_file,
        mode="mixed",
        probability=SHARE,
        server_probability=0.15,
        seed=5,
    )

    assert all(count >= 1 for count in run.proxy.faults.values()), run.proxy.faults
    assert {r.status for r in run.faults.refusals()} == {503, 429}
