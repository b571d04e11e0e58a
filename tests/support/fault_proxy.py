"""A fault-injecting TCP proxy on 127.0.0.1, between a client and the real (TLS) server.

    with LiveServer(tmp_path) as server, FaultProxy(server.port, mode="reset_after",
                                                    probability=0.3, seed=1) as proxy:
        client = httpx.Client(base_url=proxy.url, verify=server.ssl_context())
        ...
        proxy.stats.faults["reset_after"]  # how many requests were faulted that way

It cannot decrypt TLS, but record headers are clear (5 bytes: content type, version, length).
With TLS 1.3 and no session tickets (LiveServer turns them off):

* the client's first application-data record (type 23) is its Finished (or its alert when it
  refuses the server's certificate): never a request;
* each later client application-data record that follows the handshake or server data starts a
  request (an encrypted alert is too short to be one, so a close_notify is not counted);
* server application data after a request started is that request's answer.

A keep-alive connection carries many requests, so the fault is decided PER REQUEST, each with
`probability`; a reset or a hold ends that connection (RST: SO_LINGER 0):

* `reset_before`: RST before the request reaches the server (the server gets none of it);
* `reset_after`: forward the request, RST the client when the answer's first bytes arrive (the
  server has committed by then; the client never sees the answer);
* `hold`: forward the request, withhold the answer for `hold_s` (past the client's timeout),
  then RST;
* `slice`: forward the request and its answer in 1-16 byte pieces with tiny delays;
* `mixed`: one of the four above at random, per faulted request;
* `pass`: forward everything (requests are still counted).

Data that is not TLS is forwarded as is and counted in `opaque_connections`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal

HOST = "127.0.0.1"
Mode = Literal["pass", "reset_before", "reset_after", "hold", "slice", "mixed"]
FAULT_MODES: tuple[str, ...] = ("reset_before", "reset_after", "hold", "slice")
MODES: tuple[str, ...] = ("pass", *FAULT_MODES, "mixed")

_HANDSHAKE_TYPES = (20, 21, 22)  # change_cipher_spec, alert, handshake
_APP_DATA = 23
_RECORD_TYPES = (*_HANDSHAKE_TYPES, _APP_DATA)
# An encrypted alert (close_notify) is 19 bytes in TLS 1.3, 26 in TLS 1.2; a request is more.
_MAX_ALERT_LENGTH = 31
_READ_SIZE = 65536


@dataclass(frozen=True)
class ProxyStats:
    """A snapshot of what the proxy has seen."""

    connections: int = 0
    requests: int = 0  # requests that started (client data after the handshake or an answer)
    answers: int = 0  # answers that began to come from the server
    faults: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAULT_MODES, 0))
    decisions: tuple[str, ...] = ()  # per request, in order: "pass" or the fault applied
    sliced_pieces: int = 0
    sliced_bytes: int = 0
    opaque_connections: int = 0  # connections whose data was not TLS
    # The proxy's own ports towards the server on connections whose last answer it withheld
    # (reset_after, hold): the server sent that answer, the client never read it.
    withheld_ports: frozenset[int] = frozenset()

    @property
    def faulted(self) -> int:
        return sum(self.faults.values())


@dataclass
class _Counters:
    connections: int = 0
    requests: int = 0
    answers: int = 0
    faults: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAULT_MODES, 0))
    decisions: list[str] = field(default_factory=list)
    sliced_pieces: int = 0
    sliced_bytes: int = 0
    opaque_connections: int = 0
    withheld_ports: set[int] = field(default_factory=set)


class _Reset(Exception):
    """End the connection with a RST to the client."""


class _Connection:
    def __init__(
        self,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        server: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        self.client_reader, self.client_writer = client
        self.server_reader, self.server_writer = server
        self.client_finished = False  # the client's first app-data record has gone by
        self.in_request = False  # a request started and its answer has not begun
        self.fault: str | None = None  # the fault applied to the current request
        self.opaque = False


class FaultProxy:
    def __init__(
        self,
        target_port: int,
        *,
        mode: Mode = "pass",
        probability: float = 0.0,
        seed: int = 0,
        hold_s: float = 2.0,
        target_host: str = HOST,
    ) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.hold_s = hold_s
        self.port: int | None = None
        self.set_fault(mode, probability)
        self._decide_rng = random.Random(seed)
        self._slice_rng = random.Random(seed + 1)  # slicing does not disturb the decisions
        self._lock = threading.Lock()
        self._counts = _Counters()  # changed in the proxy's thread, under the lock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    # Control -----------------------------------------------------------------------------

    def set_fault(self, mode: Mode, probability: float) -> None:
        """Change the fault for the requests that start from now on."""
        if mode not in MODES:
            raise ValueError(f"Unknown fault mode {mode!r}; one of {', '.join(MODES)}.")
        if not 0.0 <= probability <= 1.0:
            raise ValueError("The probability must be between 0 and 1.")
        self.mode: str = mode
        self.probability = probability

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("The proxy has no port until it is started.")
        return f"https://{HOST}:{self.port}"

    @property
    def stats(self) -> ProxyStats:
        with self._lock:
            counts = self._counts
            return ProxyStats(
                connections=counts.connections,
                requests=counts.requests,
                answers=counts.answers,
                faults=dict(counts.faults),
                decisions=tuple(counts.decisions),
                sliced_pieces=counts.sliced_pieces,
                sliced_bytes=counts.sliced_bytes,
                opaque_connections=counts.opaque_connections,
                withheld_ports=frozenset(counts.withheld_ports),
            )

    def start(self, timeout: float = 10.0) -> FaultProxy:
        if self._thread is not None:
            return self
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="fault-proxy", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        future = asyncio.run_coroutine_threadsafe(self._listen(), loop)
        self.port = future.result(timeout)
        return self

    def close(self, timeout: float = 10.0) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # In the proxy's thread -----------------------------------------------------------------

    async def _listen(self) -> int:
        self._server = await asyncio.start_server(self._accept, HOST, 0)
        return self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            _reset(writer)
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.wait(list(self._handlers), timeout=5)
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.add(writer)
        try:
            await self._serve(reader, writer)
        except asyncio.CancelledError:
            pass  # the proxy is closing; a cancelled handler would only be logged as an error
        finally:
            self._handlers.discard(task)
            self._writers.discard(writer)

    async def _serve(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        with self._lock:
            self._counts.connections += 1
        try:
            server = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            _reset(client_writer)
            return
        self._writers.add(server[1])
        for writer in (client_writer, server[1]):
            sock = writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = _Connection((client_reader, client_writer), server)
        pumps = [
            asyncio.create_task(self._pump_up(conn)),
            asyncio.create_task(self._pump_down(conn)),
        ]
        try:
            done, _ = await asyncio.wait(pumps, return_when=asyncio.FIRST_EXCEPTION)
            failed = [t for t in done if not t.cancelled() and t.exception() is not None]
            if failed:
                # A fault, or one side reset: the other side goes down at once too.
                _reset(client_writer)
                _reset(conn.server_writer)
            else:
                await asyncio.gather(*pumps, return_exceptions=True)
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            for writer in (client_writer, conn.server_writer):
                writer.close()
            self._writers.discard(conn.server_writer)

    async def _pump_up(self, conn: _Connection) -> None:
        """Client -> server: find where requests start and decide their fault."""
        buffer = bytearray()
        writer = conn.server_writer
        while True:
            data = await conn.client_reader.read(_READ_SIZE)
            if not data:
                _write_eof(writer)
                return
            if conn.opaque:
                writer.write(data)
                await writer.drain()
                continue
            buffer += data
            records = self._records(conn, buffer)
            if conn.opaque:
                writer.write(bytes(buffer))
                buffer.clear()
                await writer.drain()
                continue
            pending = bytearray()
            for record in records:
                kind, length = record[0], len(record) - 5
                if kind == _APP_DATA and not conn.client_finished:
                    conn.client_finished = True  # its Finished (or an encrypted alert)
                elif kind == _APP_DATA and not conn.in_request and length > _MAX_ALERT_LENGTH:
                    conn.in_request = True
                    conn.fault = self._decide()
                    if conn.fault == "reset_before":
                        # What came before this record (e.g. the Finished) still goes through.
                        writer.write(bytes(pending))
                        await writer.drain()
                        raise _Reset
                if kind == _APP_DATA and conn.in_request and conn.fault == "slice":
                    writer.write(bytes(pending))
                    pending.clear()
                    await self._send_sliced(writer, record)
                else:
                    pending += record
            if pending:
                writer.write(bytes(pending))
                await writer.drain()

    async def _pump_down(self, conn: _Connection) -> None:
        """Server -> client: find where each answer begins and apply the request's fault."""
        buffer = bytearray()
        writer = conn.client_writer
        while True:
            data = await conn.server_reader.read(_READ_SIZE)
            if not data:
                _write_eof(writer)
                return
            if conn.opaque:
                writer.write(data)
                await writer.drain()
                continue
            buffer += data
            records = self._records(conn, buffer)
            if conn.opaque:
                writer.write(bytes(buffer))
                buffer.clear()
                await writer.drain()
                continue
            pending = bytearray()
            for record in records:
                answer = record[0] == _APP_DATA and conn.client_finished
                if answer and conn.in_request:
                    conn.in_request = False  # the answer begins: the next client data is new
                    with self._lock:
                        self._counts.answers += 1
                    if conn.fault in ("reset_after", "hold"):
                        self._withheld(conn)
                    if conn.fault == "reset_after":
                        raise _Reset
                    if conn.fault == "hold":
                        await asyncio.sleep(self.hold_s)
                        raise _Reset
                if answer and conn.fault == "slice":
                    writer.write(bytes(pending))
                    pending.clear()
                    await self._send_sliced(writer, record)
                else:
                    pending += record
            if pending:
                writer.write(bytes(pending))
                await writer.drain()

    def _withheld(self, conn: _Connection) -> None:
        sockname = conn.server_writer.get_extra_info("sockname")
        if sockname is not None:
            with self._lock:
                self._counts.withheld_ports.add(sockname[1])

    def _records(self, conn: _Connection, buffer: bytearray) -> list[bytes]:
        """Take the complete TLS records off the front of `buffer`; mark non-TLS as opaque."""
        records: list[bytes] = []
        while len(buffer) >= 5:
            if buffer[0] not in _RECORD_TYPES or buffer[1] != 3:
                conn.opaque = True
                with self._lock:
                    self._counts.opaque_connections += 1
                # What was already parsed goes first, then the rest as is.
                buffer[:0] = b"".join(records)
                return []
            size = 5 + struct.unpack("!H", bytes(buffer[3:5]))[0]
            if len(buffer) < size:
                break
            records.append(bytes(buffer[:size]))
            del buffer[:size]
        return records

    def _decide(self) -> str:
        """The fault for a request that starts now ("pass" for none); counted in the stats."""
        fault = "pass"
        if self.mode != "pass" and self._decide_rng.random() < self.probability:
            fault = self.mode
            if fault == "mixed":
                fault = self._decide_rng.choice(FAULT_MODES)
        with self._lock:
            self._counts.requests += 1
            self._counts.decisions.append(fault)
            if fault != "pass":
                self._counts.faults[fault] += 1
        return fault

    async def _send_sliced(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        rng = self._slice_rng
        pieces = 0
        offset = 0
        while offset < len(data):
            size = rng.randint(1, 16)
            writer.write(data[offset : offset + size])
            offset += size
            pieces += 1
            await writer.drain()
            # Mostly just a turn of the loop (the piece leaves alone); now and then a real pause.
            await asyncio.sleep(0.001 if rng.random() < 0.01 else 0)
        with self._lock:
            self._counts.sliced_pieces += pieces
            self._counts.sliced_bytes += len(data)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a dropped connection looks to the peer."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _write_eof(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, RuntimeError):
        if not writer.is_closing() and writer.can_write_eof():
            writer.write_eof()
