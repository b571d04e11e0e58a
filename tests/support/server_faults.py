"""Server-side faults: an ASGI wrapper that refuses a share of requests with 503 or 429.

    faults = ServerFaults(probability=0.3, statuses=(503,), retry_after=1, seed=1)
    with LiveServer(tmp_path, wrap_app=faults.wrap) as server:
        ...
    assert_retry_after_respected(faults.log)

Every HTTP request the server receives is logged as a `ServedRequest` (time.monotonic() when
it arrived, method, path, the status answered, the Retry-After sent). LiveServer runs the server
in this process, so those times compare with the test's own monotonic clock.
The Retry-After check assumes one client sending one request at a time (as the SyncEngine does).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REFUSAL_DETAIL = {
    503: "The registry server is briefly unavailable (test fault). Try again later.",
    429: "Too many requests (test fault). Slow down.",
}


@dataclass(frozen=True)
class ServedRequest:
    at: float  # time.monotonic() when the request reached the server
    method: str
    path: str
    status: int | None  # what was answered (None: no answer started, e.g. the client left)
    retry_after: float | None  # seconds, when the answer carried Retry-After
    refused: bool  # answered here with 503/429, the app never saw it
    client_port: int | None = None  # the peer's port (the FaultProxy's, behind a proxy)


class ServerFaults:
    def __init__(
        self,
        *,
        probability: float = 0.3,
        statuses: Sequence[int] = (503, 429),
        retry_after: int = 1,
        seed: int = 0,
        methods: Sequence[str] = ("POST",),
        path_prefixes: Sequence[str] = ("/api/v1/messages",),
    ) -> None:
        """Refuse each request matching `methods` and `path_prefixes` with `probability`,
        with one of `statuses` (chosen at random) and `Retry-After: retry_after`."""
        if any(status not in REFUSAL_DETAIL for status in statuses):
            raise ValueError("Only 503 and 429 are injected.")
        self.probability = probability
        self.statuses = tuple(statuses)
        self.retry_after = retry_after
        self.methods = tuple(m.upper() for m in methods)
        self.path_prefixes = tuple(path_prefixes)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._log: list[ServedRequest] = []

    @property
    def log(self) -> list[ServedRequest]:
        """Every request so far, in the order they arrived."""
        with self._lock:
            return list(self._log)

    def refusals(self, status: int | None = None) -> list[ServedRequest]:
        return [r for r in self.log if r.refused and (status is None or r.status == status)]

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """The wrapped app; pass `wrap_app=faults.wrap` to LiveServer."""

        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            arrived = time.monotonic()
            method, path = scope["method"], scope["path"]
            port = scope["client"][1] if scope.get("client") else None
            status = self._refusal(method, path)
            if status is not None:
                await _drain(receive)
                await self._refuse(send, status)
                self._record(
                    ServedRequest(arrived, method, path, status, self.retry_after, True, port)
                )
                return
            answered: dict[str, object] = {}

            async def watching_send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    answered["status"] = message["status"]
                    for name, value in message.get("headers", []):
                        if name.lower() == b"retry-after" and value.strip().isdigit():
                            answered["retry_after"] = float(value)
                await send(message)

            try:
                await app(scope, receive, watching_send)
            finally:
                self._record(
                    ServedRequest(
                        arrived,
                        method,
                        path,
                        answered.get("status"),  # type: ignore[arg-type]
                        answered.get("retry_after"),  # type: ignore[arg-type]
                        False,
                        port,
                    )
                )

        return wrapped

    def _refusal(self, method: str, path: str) -> int | None:
        if method.upper() not in self.methods or not path.startswith(self.path_prefixes):
            return None
        with self._lock:
            if self._rng.random() >= self.probability:
                return None
            return self._rng.choice(self.statuses)

    async def _refuse(self, send: Send, status: int) -> None:
        body = json.dumps({"detail": REFUSAL_DETAIL[status]}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(self.retry_after).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _record(self, entry: ServedRequest) -> None:
        # Appended in arrival order: the server's event loop runs one request's start at a time.
        with self._lock:
            self._log.append(entry)
            self._log.sort(key=lambda r: r.at)


async def _drain(receive: Receive) -> None:
    """Read the request body to its end, as a real front server would before refusing."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


def retry_after_violations(
    log: Sequence[ServedRequest], withheld_ports: Collection[int] = ()
) -> list[str]:
    """Each request that arrived before an earlier answer's Retry-After had passed.

    An answer the client never read does not bind it: with a FaultProxy in front, pass its
    `stats.withheld_ports`; the last request from such a port had its answer withheld (a
    reset or a hold ends the connection)."""
    problems: list[str] = []
    ordered = sorted(log, key=lambda r: r.at)
    last_from_port = {r.client_port: i for i, r in enumerate(ordered)}
    unread = {last_from_port[p] for p in withheld_ports if p in last_from_port}
    for i, answer in enumerate(ordered):
        if answer.retry_after is None or i in unread:
            continue
        allowed_from = answer.at + answer.retry_after
        for later in ordered[i + 1 :]:
            if later.at >= allowed_from:
                break
            problems.append(
                f"{later.method} {later.path} arrived {later.at - answer.at:.3f} s after a "
                f"{answer.status} with Retry-After {answer.retry_after:g} s"
            )
    return problems


def assert_retry_after_respected(
    log: Sequence[ServedRequest], withheld_ports: Collection[int] = ()
) -> None:
    problems = retry_after_violations(log, withheld_ports)
    assert not problems, "Retry-After was not respected:\n" + "\n".join(problems)
