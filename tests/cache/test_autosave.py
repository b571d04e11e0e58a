"""The autosaver: coalescing, flushing, closing, and errors that reach someone."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, wait
from contextlib import contextmanager
from pathlib import Path

import pytest

from desktop_app.autosave import Autosaver
from local_cache import Cache, InvalidTransition
from tests.cache.builders import draft, queued


@contextmanager
def database_locked(path: Path) -> Iterator[None]:
    """Hold SQLite's write lock from another connection, so the autosaver's write must wait."""
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        raw.execute("ROLLBACK")
        raw.close()


def _log_writes(path: Path) -> None:
    """Record every values write with a trigger, so the test counts real UPDATEs."""
    with sqlite3.connect(path) as raw:
        raw.executescript(
            """
            CREATE TABLE test_writes (message_id TEXT, values_blob BLOB);
            CREATE TRIGGER test_log_writes AFTER UPDATE OF values_blob ON messages
            BEGIN INSERT INTO test_writes VALUES (NEW.id, NEW.values_blob); END;
            """
        )


def _written(path: Path) -> list[bytes]:
    with sqlite3.connect(path) as raw:
        return [row[0] for row in raw.execute("SELECT values_blob FROM test_writes ORDER BY rowid")]


@pytest.fixture
def autosaver(cache: Cache) -> Iterator[Autosaver]:
    saver = Autosaver(cache.messages)
    yield saver
    saver.close()


def test_saves_piling_up_are_coalesced_to_the_newest(
    cache: Cache, cache_path: Path, autosaver: Autosaver
) -> None:
    record = draft(cache)
    _log_writes(cache_path)

    with database_locked(cache_path):
        futures = [autosaver.save(record.id, {"n": 0})]
        time.sleep(0.2)  # the writer takes n=0 and waits for the lock
        futures += [autosaver.save(record.id, {"n": n}) for n in range(1, 50)]
        time.sleep(0.1)
        assert not any(f.done() for f in futures)  # nothing is acknowledged before its commit

    done, not_done = wait(futures, timeout=10)
    assert not not_done and all(f.exception() is None for f in done)
    assert cache.messages.get(record.id).values == {"n": 49}
    writes = _written(cache_path)
    assert 1 <= len(writes) <= 2  # n=0 (if taken before the pile-up) and n=49 only
    assert writes[-1] == b'{"n":49}'


def test_each_message_keeps_its_own_newest_values(cache: Cache, autosaver: Autosaver) -> None:
    a, b = draft(cache), draft(cache)
    for n in range(20):
        autosaver.save(a.id, {"a": n})
        autosaver.save(b.id, {"b": n})
    autosaver.flush()

    assert cache.messages.get(a.id).values == {"a": 19}
    assert cache.messages.get(b.id).values == {"b": 19}


def test_flush_waits_for_pending_writes(
    cache: Cache, cache_path: Path, autosaver: Autosaver
) -> None:
    record = draft(cache, {"n": "old"})
    with database_locked(cache_path):
        future = autosaver.save(record.id, {"n": "new"})
        with pytest.raises(TimeoutError):
            autosaver.flush(timeout=0.2)
        assert not future.done()
    autosaver.flush()

    assert future.done()
    assert cache.messages.get(record.id).values == {"n": "new"}


def test_values_are_copied_when_saved(cache: Cache, autosaver: Autosaver) -> None:
    record = draft(cache)
    values = {"sites": ["1"]}
    future = autosaver.save(record.id, values)
    values["sites"].append("2")  # the form goes on editing its own dict
    future.result(timeout=5)

    assert cache.messages.get(record.id).values == {"sites": ["1"]}


def test_a_save_cannot_be_cancelled(cache: Cache, autosaver: Autosaver) -> None:
    record = draft(cache)
    future = autosaver.save(record.id, {"n": 1})
    assert future.cancel() is False
    future.result(timeout=5)
    assert cache.messages.get(record.id).values == {"n": 1}


def test_errors_reach_the_future_and_on_error(cache: Cache) -> None:
    reported: list[tuple[str, BaseException]] = []
    saver = Autosaver(cache.messages, on_error=lambda mid, err: reported.append((mid, err)))
    try:
        submitted = queued(cache)
        editable = draft(cache)

        refused = saver.save(submitted.id, {"late": "edit"})
        with pytest.raises(InvalidTransition):
            refused.result(timeout=5)
        unknown = saver.save("no-such-message", {"x": 1})
        with pytest.raises(KeyError):
            unknown.result(timeout=5)
        # The writer thread survives and goes on saving.
        saver.save(editable.id, {"still": "saving"}).result(timeout=5)
    finally:
        saver.close()

    assert [(mid, type(err)) for mid, err in reported] == [
        (submitted.id, InvalidTransition),
        ("no-such-message", KeyError),
    ]
    assert cache.messages.get(editable.id).values == {"still": "saving"}
    assert cache.messages.get(submitted.id).values == submitted.values


def test_a_failing_error_handler_does_not_stop_the_writer(cache: Cache) -> None:
    def broken_handler(message_id: str, error: BaseException) -> None:
        raise RuntimeError("handler bug")

    saver = Autosaver(cache.messages, on_error=broken_handler)
    try:
        with pytest.raises(KeyError):
            saver.save("no-such-message", {}).result(timeout=5)
        record = draft(cache)
        saver.save(record.id, {"ok": True}).result(timeout=5)
    finally:
        saver.close()
    assert cache.messages.get(record.id).values == {"ok": True}


def test_close_writes_what_is_pending_then_refuses(cache: Cache, cache_path: Path) -> None:
    record = draft(cache)
    saver = Autosaver(cache.messages)
    with database_locked(cache_path):
        future = saver.save(record.id, {"n": "last"})
        closer = threading.Thread(target=saver.close)
        closer.start()
        time.sleep(0.1)
        assert not future.done() and closer.is_alive()
    closer.join(10)

    assert future.result(timeout=0) is None
    assert cache.messages.get(record.id).values == {"n": "last"}
    with pytest.raises(RuntimeError):
        saver.save(record.id, {"n": "too late"})
    saver.close()  # a second close is harmless


def test_futures_are_plain_concurrent_futures(cache: Cache, autosaver: Autosaver) -> None:
    record = draft(cache)
    future = autosaver.save(record.id, {"n": 1})
    assert isinstance(future, Future)
    assert future.result(timeout=5) is None
