"""Run by test_kill.py as a subprocess: autosave a stream of values until killed.

Prints "DRAFT <id>" once, then "ACK <n>" for each value whose save Future has resolved, that
is, whose write the autosaver reports as committed.
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
from concurrent.futures import Future

from desktop_app.autosave import Autosaver
from local_cache import open_cache

_print_lock = threading.Lock()


def _say(line: str) -> None:
    with _print_lock:  # callbacks run on the writer thread and, if already done, on this one
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def _acknowledge(n: int) -> object:
    def done(future: Future[None]) -> None:
        if future.exception() is None:
            _say(f"ACK {n}")

    return done


def main(path: str) -> None:
    cache = open_cache(path)
    record = cache.messages.create_draft("kill.test", "breast", "assessment", 1)
    _say(f"DRAFT {record.id}")
    autosaver = Autosaver(cache.messages)
    for n in itertools.count():
        values = {"counter": n, "note": f"value {n} " + "x" * 500}
        autosaver.save(record.id, values).add_done_callback(_acknowledge(n))
        time.sleep(0.0005)


if __name__ == "__main__":
    main(sys.argv[1])
