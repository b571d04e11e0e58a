"""A client process to kill -9: the real cache, SyncEngine and ApiClient in a child process that
starts in milliseconds, forked from a zygote that has already imported everything.

    with Zygote(["tests.support.sync_client_process"], stderr_path=tmp_path / "stderr") as z:
        child = z.spawn(CLIENT, cache_path=..., server_url=..., ca_path=..., username="demo")
        child.wait_for(lambda line: line.startswith("submitted "))
        child.kill()          # SIGKILL, then every line it printed before dying, then reaped
        child.lines           # what it printed; child.returncode == -signal.SIGKILL

Why a zygote: Python start-up with our imports costs about a second, so a hundred crash rounds
from scratch would take minutes. The zygote (`python -m tests.support.sync_client_process`)
imports the modules it is given, warms them up (`warm_up()`: form catalogue, keyring backend)
and then forks one child per `spawn`. Each child is a real process with its own pid, its own
SQLite connections and sockets, killed with a real SIGKILL; it inherits only imported code and
read-only data. When the zygote forks it has no threads, no database and no socket but its
control channel, so nothing half-locked is copied into a child.

The control channel is an AF_UNIX SOCK_SEQPACKET pair, one JSON message each way:
``{"op": "spawn", "target": "module:function", "kwargs": {...}}`` with the write end of a pipe
attached (SCM_RIGHTS) -> ``{"pid": n}``; the pipe becomes the child's stdout (its stderr is the
zygote's). ``{"op": "wait", "pid": n}`` -> ``{"returncode": rc}`` (negative: killed by signal
-rc). ``{"op": "exit"}`` ends the zygote. A child is reaped only on "wait", so its pid cannot be
reused before the test has killed it.

`run_client` is the client: it opens the cache file, starts the real SyncEngine (which resets
messages a crash left `sending`), queues new messages as the app does (draft, then submit, then
request_sync) and waits until the outbox is empty. It prints one flushed line per step, each
written only AFTER the step is committed, so a line the test has read is a durable fact:

    start                               the process runs
    resume sending=<n> queued=<n>       the outbox as the previous (killed) process left it
    draft <message id>                  a draft is stored
    submitted <message id>              it is queued (body frozen, idempotency key made)
    state <state> <message id>          the engine moved it (sending, receipted, queued, ...)
    error <sentence>                    the engine's last error changed (never secrets)
    idle                                nothing is queued or sending any more
    done                                (linger=False) engine stopped, cache closed

No password ever reaches the child: it reads the access token the test's sign-in stored in the
keyring (the file keyring the test session configures through the environment).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import random
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]
CLIENT = "tests.support.sync_client_process:run_client"
OWNER_FORM = ("breast", "assessment")  # what the client queues: synthetic breast assessments
_MAX_MESSAGE = 65536


# --- the test's side -----------------------------------------------------------------------------


class Child:
    """A forked child: its stdout lines (read without threads) and its end (kill or exit)."""

    def __init__(self, zygote: Zygote, pid: int, read_fd: int) -> None:
        self.zygote = zygote
        self.pid = pid
        self.lines: list[str] = []
        self.returncode: int | None = None
        self._fd: int | None = read_fd
        self._partial = b""
        self._cursor = 0  # lines before it were already offered to wait_for

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 20.0) -> str | None:
        """The next line (after those offered before) that satisfies `predicate`; None when
        the child's stdout ends first. TimeoutError (with the last lines) after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            while self._cursor < len(self.lines):
                line = self.lines[self._cursor]
                self._cursor += 1
                if predicate(line):
                    return line
            if self._fd is None:
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"Child {self.pid} printed no awaited line in {timeout} s; last lines: "
                    f"{self.lines[-8:]}; stderr: {self.zygote.stderr_tail()}"
                )
            self._read(remaining)

    def kill(self) -> int:
        """SIGKILL now, read what it printed before it died, reap it; its return code."""
        os.kill(self.pid, signal.SIGKILL)  # not reaped yet, so the pid is still this child's
        return self.wait()

    def wait(self, timeout: float = 20.0) -> int:
        """Read stdout to its end, then reap; the return code (negative: the signal)."""
        deadline = time.monotonic() + timeout
        while self._fd is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"Child {self.pid} did not end in {timeout} s.")
            self._read(remaining)
        if self.returncode is None:
            self.returncode = self.zygote._reap(self.pid)
        return self.returncode

    def _read(self, timeout: float) -> None:
        assert self._fd is not None
        ready, _, _ = select.select([self._fd], [], [], timeout)
        if not ready:
            return
        chunk = os.read(self._fd, 65536)
        if not chunk:  # every write end is closed: the child is gone
            os.close(self._fd)
            self._fd = None
            self._partial = b""  # a line cut short by the kill acknowledges nothing
            return
        *complete, self._partial = (self._partial + chunk).split(b"\n")
        self.lines.extend(line.decode() for line in complete)


class Zygote:
    """A pre-imported Python process that forks children on request (see the module doc)."""

    def __init__(
        self,
        preload: Sequence[str],
        *,
        stderr_path: Path,
        env: dict[str, str] | None = None,
        start_timeout: float = 30.0,
    ) -> None:
        self.stderr_path = Path(stderr_path)
        self._stderr: IO[bytes] = open(self.stderr_path, "wb")  # noqa: SIM115 (closed in close)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._control = ours
        self._children: dict[int, Child] = {}
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", __spec__.name, str(theirs.fileno()), *preload],
                cwd=ROOT,
                env={**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
                pass_fds=[theirs.fileno()],
            )
        finally:
            theirs.close()
        self._control.settimeout(start_timeout)
        try:
            self._expect({"ready": True})
        except BaseException:
            self.close()
            raise
        self._control.settimeout(None)

    def spawn(self, target: str, **kwargs: Any) -> Child:
        """Fork a child that runs `target` ("module:function") with `kwargs` (JSON values)."""
        read_fd, write_fd = os.pipe()
        try:
            command = json.dumps({"op": "spawn", "target": target, "kwargs": kwargs}).encode()
            socket.send_fds(self._control, [command], [write_fd])
        finally:
            os.close(write_fd)  # the child's copy is the only one left: EOF when it dies
        try:
            pid = self._answer()["pid"]
        except BaseException:
            os.close(read_fd)
            raise
        child = Child(self, pid, read_fd)
        self._children[pid] = child
        return child

    def stderr_tail(self, size: int = 2000) -> str:
        self._stderr.flush()
        text = self.stderr_path.read_bytes()[-size:]
        return text.decode(errors="replace")

    def close(self) -> None:
        """Kill any child still running (and reap it), then end the zygote."""
        if self._process.poll() is None:
            for child in list(self._children.values()):
                if child.returncode is None:
                    with contextlib.suppress(OSError, TimeoutError):
                        child.kill()
            with contextlib.suppress(OSError):
                self._control.send(json.dumps({"op": "exit"}).encode())
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        for child in self._children.values():
            if child._fd is not None:
                os.close(child._fd)
                child._fd = None
        self._control.close()
        self._stderr.close()

    def __enter__(self) -> Zygote:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _reap(self, pid: int) -> int:
        self._control.send(json.dumps({"op": "wait", "pid": pid}).encode())
        returncode = int(self._answer()["returncode"])
        self._children.pop(pid, None)
        return returncode

    def _answer(self) -> dict[str, Any]:
        data = self._control.recv(_MAX_MESSAGE)
        if not data:
            raise RuntimeError(f"The zygote has ended: {self.stderr_tail()}")
        answer = json.loads(data)
        if "error" in answer:
            raise RuntimeError(f"The zygote refused: {answer['error']}")
        return answer

    def _expect(self, expected: dict[str, Any]) -> None:
        answer = self._answer()
        if answer != expected:
            raise RuntimeError(f"The zygote answered {answer}, expected {expected}.")


# --- the zygote ----------------------------------------------------------------------------------


def _zygote_main(control_fd: int, preload: Sequence[str]) -> None:
    for name in preload:
        warm_up = getattr(importlib.import_module(name), "warm_up", None)
        if warm_up is not None:
            warm_up()
    if threading.active_count() != 1:
        raise RuntimeError("A preloaded module started a thread; forking would copy its locks.")
    control = socket.socket(fileno=control_fd)
    control.send(json.dumps({"ready": True}).encode())
    while True:
        data, fds, _flags, _address = socket.recv_fds(control, _MAX_MESSAGE, 1)
        if not data:  # the test has gone
            return
        command = json.loads(data)
        try:
            answer = _serve(control, command, fds)
        except Exception as exc:  # the test hears about it; the zygote carries on
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        if answer is None:
            return
        control.send(json.dumps(answer).encode())


def _serve(control: socket.socket, command: dict[str, Any], fds: list[int]) -> dict | None:
    match command["op"]:
        case "spawn":
            return {"pid": _fork(control, command["target"], command["kwargs"], fds[0])}
        case "wait":
            _pid, status = os.waitpid(int(command["pid"]), 0)
            return {"returncode": os.waitstatus_to_exitcode(status)}
        case "exit":
            return None
    raise ValueError(f"unknown op {command['op']!r}")


def _fork(control: socket.socket, target: str, kwargs: dict[str, Any], stdout_fd: int) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        os.close(stdout_fd)
        return pid
    code = 1
    try:
        control.close()
        os.dup2(stdout_fd, 1)
        os.close(stdout_fd)
        random.seed()  # not the zygote's sequence: jitter differs per child
        module, _, function = target.partition(":")
        getattr(importlib.import_module(module), function)(**kwargs)
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)  # never return into the zygote's loop


# --- the client ----------------------------------------------------------------------------------

_say_lock = threading.Lock()
_catalogue: Any = None


def say(line: str) -> None:
    """One line on stdout, written through at once: read by the test, it is a fact."""
    with _say_lock:  # the engine's thread reports too
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def warm_up() -> None:
    """Work every child would repeat, done once in the zygote: imports, catalogue, keyring."""
    global _catalogue
    import keyring

    import desktop_app.sync.engine  # noqa: F401 (imported for the children)
    from desktop_app.forms import load_catalogue

    _catalogue = load_catalogue()
    keyring.get_keyring()  # backend discovery reads entry points: slow, and the same each time


def run_client(
    *,
    cache_path: str,
    server_url: str,
    ca_path: str,
    username: str,
    new_messages: int = 0,
    seed: int = 0,
    batch_size: int = 2,
    linger: bool = True,
    timeout_s: float = 30.0,
) -> None:
    """Queue `new_messages`, sync until the outbox is empty, print "idle"; then wait to be
    killed (`linger`) or stop cleanly and print "done"."""
    from desktop_app.auth import Session, TokenStore
    from desktop_app.events import EventBus
    from desktop_app.sync.api_client import ApiClient
    from desktop_app.sync.engine import SyncEngine
    from local_cache import MessageState, open_cache

    say("start")
    cache = open_cache(cache_path)
    sending = len(cache.messages.list(username, [MessageState.SENDING]))
    say(f"resume sending={sending} queued={cache.messages.count_unsent(username) - sending}")
    api = ApiClient(server_url, ca_bundle=ca_path, timeout=10)
    session = Session(
        server_url=server_url,
        username=username,
        display_name=username,
        unit={},
        offline=False,
        tokens=TokenStore(),
    )
    events = EventBus()
    events.subscribe(_Reporter())
    engine = SyncEngine(
        cache,
        api,
        session,
        events,
        interval_s=3600.0,  # passes run when woken, as after a submit
        retry_s=0.05,
        max_backoff_s=0.2,
        batch_size=batch_size,
    )
    engine.start()  # its thread first puts back what a crash left `sending`
    rng = random.Random(seed)
    for _ in range(new_messages):
        _queue_one(cache, username, rng)
        engine.request_sync()
    deadline = time.monotonic() + timeout_s
    while cache.messages.count_unsent(username) > 0:
        if time.monotonic() > deadline:
            say(f"stuck {engine.last_error}")
            raise SystemExit(3)
        time.sleep(0.005)
    say("idle")
    if linger:
        time.sleep(timeout_s)  # the test kills us before this ends
        raise SystemExit(4)
    engine.stop()
    api.close()
    cache.close()
    say("done")


def _queue_one(cache: Any, username: str, rng: random.Random) -> None:
    """One valid breast assessment with synthetic answers, queued as DraftService does."""
    from desktop_app.forms import example_values

    definition = _catalogue.latest(*OWNER_FORM)
    values = definition.submitted_values(example_values(definition, rng))
    record = cache.messages.create_draft(
        username, definition.registry, definition.form, definition.version, values
    )
    say(f"draft {record.id}")
    body = {
        "message_id": record.id,
        "registry": definition.registry,
        "form": definition.form,
        "version": definition.version,
        "values": values,
    }
    cache.messages.submit(record.id, body)
    say(f"submitted {record.id}")


class _Reporter:
    """Prints the engine's events: message states, and each new last error (a sentence)."""

    def __init__(self) -> None:
        self._last_error: str | None = None

    def __call__(self, event: object) -> None:
        from desktop_app.events import MessageStateChanged, SyncStatusChanged

        if isinstance(event, MessageStateChanged):
            say(f"state {event.state} {event.message_id}")
        elif isinstance(event, SyncStatusChanged):
            error = event.status.last_error
            if error and error != self._last_error:
                say(f"error {error}")
            self._last_error = error


if __name__ == "__main__":
    _zygote_main(int(sys.argv[1]), sys.argv[2:])
