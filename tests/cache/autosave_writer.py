"""Run by test_kill.py in a child process (see tests/support/sync_client_process.Zygote):
autosave a stream of values into a few drafts until killed.

Opens the cache file (made by an earlier, killed run or new), makes the drafts that are still
missing and prints "DRAFT <id>" for each once it is stored. Then it saves value after value,
round-robin over the drafts, through the real Autosaver, with a counter that carries on from the
highest one stored (so values are never repeated across runs), and prints "ACK <id> <n>" as
soon as the save's Future resolves, that is, once the autosaver reports the write committed.
Each line is flushed at once: a line the test has read was acknowledged.

    python tests/cache/autosave_writer.py CACHE_FILE     # by hand: runs until Ctrl-C
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from desktop_app.autosave import Autosaver
from local_cache import Cache, open_cache

OWNER = "kill.test"
FORM = ("breast", "assessment", 1)

_print_lock = threading.Lock()


def note(counter: int) -> str:
    """The note saved with `counter`: long enough that a write spans several pages."""
    return f"value {counter} " + "x" * 3000


def _say(line: str) -> None:
    with _print_lock:  # callbacks run on the writer thread and, if already done, on this one
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def _acknowledge(message_id: str, n: int) -> Callable[[Future[None]], None]:
    def done(future: Future[None]) -> None:
        if future.exception() is None:
            _say(f"ACK {message_id} {n}")

    return done


def _drafts(cache: Cache, count: int) -> list[str]:
    """The drafts to write to, oldest first (a stable order across runs); missing ones made."""
    records = sorted(cache.messages.list(OWNER), key=lambda r: (r.created_at, r.id))
    ids = [r.id for r in records]
    while len(ids) < count:
        record = cache.messages.create_draft(OWNER, *FORM)
        _say(f"DRAFT {record.id}")
        ids.append(record.id)
    return ids


def write_until_killed(*, path: str, drafts: int = 3, pause_s: float = 0.0005) -> None:
    cache = open_cache(path)
    ids = _drafts(cache, drafts)
    stored = [cache.messages.get(i).values.get("counter", -1) for i in ids]
    autosaver = Autosaver(cache.messages)
    for n in itertools.count(max(stored) + 1):
        message_id = ids[n % len(ids)]
        values = {"counter": n, "note": note(n)}
        autosaver.save(message_id, values).add_done_callback(_acknowledge(message_id, n))
        time.sleep(pause_s)


if __name__ == "__main__":
    write_until_killed(path=str(Path(sys.argv[1])))
