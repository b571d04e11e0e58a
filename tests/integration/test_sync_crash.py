"""kill -9 the client 100 times between queue, send and receipt; nothing is lost or doubled
(issue 4).

Real parts only: one client cache file shared by every round, the real SyncEngine, ApiClient
and cache in a real child process (forked from a pre-imported zygote, see
tests/support/sync_client_process.py), signed in with a real token, against the real server
over TLS. Each round the child resumes the outbox the previous one left, queues 1-4 new
messages and syncs in batches of 2; the test kills it with SIGKILL at a seeded random point of
one of five kinds (20 rounds each):

* queueing:  right after a "draft" or "submitted" line (maybe a few ms later: mid-transaction);
* claimed:   right after a message went `sending` (the batch may or may not be on its way);
* in_flight: the server has committed a batch and its answer is held back (CommitGate), so the
             client dies never knowing: those messages must be `sending` in the cache;
* receipted: right after a receipt was recorded;
* timer:     after a random 0-250 ms from the child's start, wherever that lands.

Then a last child syncs to the end and the test checks: every message ever acknowledged as
submitted is on the server exactly once, receipted locally with the server's receipt id and
under the key it was queued with; the server holds nothing the cache does not have receipted;
nothing is left queued, sending or rejected; PRAGMA integrity_check is ok.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from random import Random

import pytest
from sqlalchemy import select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from desktop_app.auth import SessionService, TokenStore
from desktop_app.sync.api_client import ApiClient
from local_cache import MessageState, open_cache
from registry_server.models import Message as ServerMessage
from registry_server.models import Receipt as ServerReceipt
from tests.support.live_server import LiveServer
from tests.support.sync_client_process import CLIENT, Child, Zygote

from .conftest import DEMO_USER

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs fork and SIGKILL"),
]

SEED = 20240404
KINDS = ("queueing", "claimed", "in_flight", "receipted", "timer")
ROUNDS_PER_KIND = 20  # 100 kills
BATCH_SIZE = 2
BATCH_PATH = "/api/v1/messages/batch"
HOLD_LIMIT_S = 30.0  # a held answer is released by then even if the test has died


class CommitGate:
    """Wraps the server app. Once armed, the n-th batch request is handled normally (the server
    commits it) but its answer is held back until released: the client waits with the request
    in flight, the test kills it. Also tells when no batch request is being handled, so a dead
    client's last request cannot be mistaken for the next one's."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._app: ASGIApp | None = None
        self._turn: int | None = None
        self._seen = 0
        self._active = 0
        self._quiet_since = time.monotonic()
        self.held = threading.Event()
        self.held_ids: list[str] = []
        self.held_status: int | None = None
        self._release = threading.Event()

    def wrap(self, app: ASGIApp) -> ASGIApp:
        self._app = app
        return self

    def arm(self, turn: int) -> None:
        """Hold the answer to the `turn`-th batch request from now on (1 = the next)."""
        with self._lock:
            self._turn, self._seen = turn, 0
            self.held.clear()
            self._release.clear()
            self.held_ids, self.held_status = [], None

    def release(self) -> None:
        with self._lock:
            self._turn = None
        self._release.set()

    def wait_quiet(self, quiet_s: float = 0.02, timeout: float = 10.0) -> None:
        """Until no batch request has been handled for `quiet_s`."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if self._active == 0 and time.monotonic() - self._quiet_since >= quiet_s:
                    return
            if time.monotonic() > deadline:
                raise TimeoutError("The server kept handling batch requests.")
            time.sleep(0.005)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self._app is not None
        if scope["type"] != "http" or scope["path"] != BATCH_PATH:
            await self._app(scope, receive, send)
            return
        with self._lock:
            self._active += 1
            self._seen += 1
            hold = self._turn is not None and self._seen == self._turn
        body = bytearray()

        async def recording_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.extend(message.get("body", b""))
            return message

        async def gated_send(message: Message) -> None:
            # http.response.start comes after the route returned, i.e. after the commit.
            if hold and message["type"] == "http.response.start":
                items = json.loads(body)["items"]
                self.held_ids = [item["message"]["message_id"] for item in items]
                self.held_status = message["status"]
                self.held.set()
                await asyncio.to_thread(self._release.wait, HOLD_LIMIT_S)
            await send(message)

        try:
            await self._app(scope, recording_receive, gated_send)
        finally:
            with self._lock:
                self._active -= 1
                self._quiet_since = time.monotonic()


@dataclass
class Journal:
    """What the children acknowledged, across all rounds."""

    drafts: set[str] = field(default_factory=set)
    submitted: set[str] = field(default_factory=set)
    kills: Counter[str] = field(default_factory=Counter)
    left_sending: Counter[str] = field(default_factory=Counter)  # kills that left some
    kills_when_idle: int = 0  # kills that came after the child had sent everything

    def read(self, child: Child) -> None:
        for line in child.lines:
            word, _, rest = line.partition(" ")
            if word == "draft":
                self.drafts.add(rest)
            elif word == "submitted":
                self.submitted.add(rest)


@dataclass
class Rig:
    server: LiveServer
    gate: CommitGate
    zygote: Zygote
    cache_path: Path

    def spawn(self, new_messages: int, seed: int, *, linger: bool = True) -> Child:
        return self.zygote.spawn(
            CLIENT,
            cache_path=str(self.cache_path),
            server_url=self.server.url,
            ca_path=str(self.server.ca_path),
            username=DEMO_USER[0],
            new_messages=new_messages,
            seed=seed,
            batch_size=BATCH_SIZE,
            linger=linger,
        )


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    gate = CommitGate()
    cache_path = tmp_path / "client" / "cache.sqlite3"
    with (
        LiveServer(tmp_path / "server", wrap_app=gate.wrap) as server,
        ApiClient(server.url, ca_bundle=str(server.ca_path)) as api,
        Zygote(
            ["tests.support.sync_client_process"], stderr_path=tmp_path / "clients.stderr"
        ) as zygote,
    ):
        # A real sign-in: the token goes to the (file) keyring the children read it from.
        cache = open_cache(cache_path)
        sessions = SessionService(api, cache.users, TokenStore(), server.url)
        session = sessions.sign_in(*DEMO_USER)
        cache.close()
        try:
            yield Rig(server, gate, zygote, cache_path)
        finally:
            gate.release()
            sessions.sign_out(session)


def _starts(word: str) -> Callable[[str], bool]:
    return lambda line: line.startswith(word + " ")


def _crash_round(rig: Rig, kind: str, rng: Random, index: int, journal: Journal) -> None:
    """Start a child that queues 1-4 messages and syncs; SIGKILL it at a point of `kind`."""
    new = rng.randint(1, 4)
    if kind == "in_flight":
        rig.gate.arm(rng.randint(1, (new + BATCH_SIZE - 1) // BATCH_SIZE))
    child = rig.spawn(new, seed=index)
    try:
        _reach_kill_point(rig, child, kind, new, rng)
    finally:
        returncode = child.kill()
        rig.gate.release()
    assert returncode == -signal.SIGKILL, (kind, child.lines, rig.zygote.stderr_tail())
    assert not any(line.startswith("stuck") for line in child.lines), child.lines
    journal.read(child)
    journal.kills[kind] += 1
    if _sending_count(rig.cache_path):
        journal.left_sending[kind] += 1
    if "idle" in child.lines:  # the kill point was the last step; the kill still came
        journal.kills_when_idle += 1
    if kind == "in_flight":
        _assert_committed_but_unrecorded(rig)
    # A request the dead child had fully written is still handled: let it finish first.
    rig.gate.wait_quiet()


def _reach_kill_point(rig: Rig, child: Child, kind: str, new: int, rng: Random) -> None:
    match kind:
        case "queueing":
            steps = rng.randint(1, 2 * new)  # draft and submitted lines, in order
            for _ in range(steps):
                assert child.wait_for(lambda line: line.split(" ")[0] in ("draft", "submitted"))
            time.sleep(rng.choice([0.0, rng.uniform(0.0, 0.004)]))
        case "claimed":
            for _ in range(rng.randint(1, new)):
                assert child.wait_for(_starts("state sending"))
        case "in_flight":
            assert rig.gate.held.wait(20), f"no batch was held: {child.lines}"
        case "receipted":
            for _ in range(rng.randint(1, new)):
                assert child.wait_for(_starts("state receipted"))
        case "timer":
            assert child.wait_for(lambda line: line == "start")
            time.sleep(rng.uniform(0.0, 0.25))


def _assert_committed_but_unrecorded(rig: Rig) -> None:
    """The held batch is on the server while the dead client still has it `sending`."""
    ids = rig.gate.held_ids
    assert ids and rig.gate.held_status == 200
    with rig.server.session_factory() as db:
        stored = db.scalars(
            select(ServerMessage.message_id).where(ServerMessage.message_id.in_(ids))
        ).all()
    assert sorted(stored) == sorted(ids)
    assert _cache_states(rig.cache_path, ids) == dict.fromkeys(ids, "sending")


def _sending_count(path: Path) -> int:
    with closing(sqlite3.connect(path)) as raw:
        return raw.execute("SELECT count(*) FROM messages WHERE state = 'sending'").fetchone()[0]


def _cache_states(path: Path, ids: list[str]) -> dict[str, str]:
    """A look into the cache file, as the next client would find it (none is running)."""
    with closing(sqlite3.connect(path)) as raw:
        marks = ",".join("?" * len(ids))
        rows = raw.execute(f"SELECT id, state FROM messages WHERE id IN ({marks})", ids)
        return dict(rows.fetchall())


def test_kill_9_between_queue_send_and_receipt(rig: Rig) -> None:
    rng = Random(SEED)
    plan = [kind for kind in KINDS for _ in range(ROUNDS_PER_KIND)]
    rng.shuffle(plan)
    journal = Journal()
    started = time.monotonic()
    for index, kind in enumerate(plan):
        _crash_round(rig, kind, rng, index, journal)
    crashing = time.monotonic() - started

    final = rig.spawn(0, seed=len(plan), linger=False)
    assert final.wait_for(lambda line: line.startswith(("done", "stuck")), timeout=60) == "done", (
        final.lines,
        rig.zygote.stderr_tail(),
    )
    assert final.wait() == 0
    journal.read(final)

    # The kills landed where they were meant to: in the middle of a send (every in_flight
    # kill, most claimed ones) and between a draft and its submit.
    assert journal.kills == dict.fromkeys(KINDS, ROUNDS_PER_KIND)
    assert journal.left_sending["in_flight"] == ROUNDS_PER_KIND
    assert journal.left_sending["claimed"] >= ROUNDS_PER_KIND // 2, journal.left_sending
    assert journal.drafts - journal.submitted
    _assert_everything_arrived_once(rig, journal)
    print(
        f"{len(plan)} kills in {crashing:.1f} s; {len(journal.submitted)} messages acknowledged as "
        f"queued, {len(journal.drafts - journal.submitted)} killed before submit; "
        f"kills that left messages sending: {dict(journal.left_sending)}, "
        f"{journal.kills_when_idle} kills came after everything was sent"
    )


def _assert_everything_arrived_once(rig: Rig, journal: Journal) -> None:
    cache = open_cache(rig.cache_path)
    try:
        records = {r.id: r for r in cache.messages.list(DEMO_USER[0])}
        receipt_rows = cache.receipts.list(DEMO_USER[0])
    finally:
        cache.close()
    with rig.server.session_factory() as db:
        stored = db.execute(
            select(
                ServerMessage.message_id, ServerMessage.idempotency_key, ServerReceipt.receipt_id
            ).join(ServerReceipt, ServerReceipt.message_id == ServerMessage.message_id)
        ).all()

    by_state = Counter(r.state for r in records.values())
    receipted = {i for i, r in records.items() if r.state == MessageState.RECEIPTED}
    # Nothing waits, nothing was refused; a message is either receipted or a draft that a kill
    # stopped before its submit was acknowledged.
    assert set(by_state) <= {MessageState.RECEIPTED, MessageState.DRAFT}, by_state
    assert journal.submitted <= receipted
    assert not journal.submitted & {i for i, r in records.items() if r.state == "draft"}
    assert journal.drafts | journal.submitted >= receipted  # every message came from a child
    # On the server exactly once each (by message id and by key), and nothing else.
    assert Counter(row.message_id for row in stored).most_common(1)[0][1] == 1
    assert {row.message_id for row in stored} == receipted
    assert rig.server.message_count() == len(receipted)
    assert {row.message_id: row.idempotency_key for row in stored} == {
        i: records[i].idempotency_key for i in receipted
    }
    # Receipted locally with the server's receipt, stored with it.
    assert {row.message_id: row.receipt_id for row in stored} == {
        i: records[i].receipt_id for i in receipted
    }
    assert sorted((r.message_id, r.receipt_id) for r in receipt_rows) == sorted(
        (i, records[i].receipt_id) for i in receipted
    )
    with closing(sqlite3.connect(rig.cache_path)) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
