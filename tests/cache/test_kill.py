"""A SIGKILL in the middle of a stream of autosaves loses nothing that was acknowledged.

20 rounds on ONE cache file: a real child process (forked from a pre-imported zygote, see
tests/support/sync_client_process.py) autosaves values into three drafts through the real
Autosaver, printing an ACK as each save is committed; the test kills it with SIGKILL after a
seeded random number of ACKs (sometimes a few milliseconds later), while writes are going on.
After every kill the file passes PRAGMA integrity_check, every draft it acknowledged making is
there, and each draft holds the newest value acknowledged for it, or a newer one (an autosave
replaces the draft's values: a newer save that committed before the kill may have replaced
the acknowledged one), intact. The next round reopens the same recovered file and writes on.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from random import Random

import pytest

from local_cache import MessageState, open_cache
from tests.cache.autosave_writer import OWNER, note
from tests.support.sync_client_process import Child, Zygote

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs fork and SIGKILL"),
]

WRITER = "tests.cache.autosave_writer:write_until_killed"
ROUNDS = 20
DRAFTS = 3
SEED = 7


@pytest.fixture
def zygote(tmp_path: Path) -> Iterator[Zygote]:
    with Zygote(["tests.cache.autosave_writer"], stderr_path=tmp_path / "writer.stderr") as z:
        yield z


def _acks(child: Child) -> dict[str, int]:
    """The newest counter acknowledged per draft (ACKs come in commit order)."""
    newest: dict[str, int] = {}
    for line in child.lines:
        if line.startswith("ACK "):
            _, message_id, n = line.split()
            newest[message_id] = max(newest.get(message_id, -1), int(n))
    return newest


def _kill_mid_stream(zygote: Zygote, path: Path, rng: Random) -> Child:
    child = zygote.spawn(WRITER, path=str(path), drafts=DRAFTS)
    try:
        for _ in range(rng.randint(1, 60)):
            assert child.wait_for(lambda line: line.startswith("ACK ")), zygote.stderr_tail()
        if rng.random() < 0.5:  # not always right after an ACK
            time.sleep(rng.uniform(0.0, 0.005))
    finally:
        returncode = child.kill()
    assert returncode == -signal.SIGKILL, zygote.stderr_tail()
    return child


def test_killed_writer_keeps_every_acknowledged_autosave(tmp_path: Path, zygote: Zygote) -> None:
    path = tmp_path / "cache.sqlite3"
    rng = Random(SEED)
    made: set[str] = set()
    acknowledged: dict[str, int] = {}  # newest counter acknowledged per draft, over all rounds
    for _ in range(ROUNDS):
        child = _kill_mid_stream(zygote, path, rng)
        made |= {line.split()[1] for line in child.lines if line.startswith("DRAFT ")}
        for message_id, n in _acks(child).items():
            acknowledged[message_id] = max(acknowledged.get(message_id, -1), n)

        with closing(sqlite3.connect(path)) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        cache = open_cache(path)
        try:
            drafts = {r.id: r for r in cache.messages.list(OWNER)}
        finally:
            cache.close()
        assert set(drafts) == made and len(made) == DRAFTS
        assert {r.state for r in drafts.values()} == {MessageState.DRAFT}
        for message_id, newest in acknowledged.items():
            values = drafts[message_id].values
            assert values["counter"] >= newest, (message_id, values["counter"], newest)
            assert values["note"] == note(values["counter"])
    assert set(acknowledged) == made
