"""A SIGKILL in the middle of autosaving loses nothing that was acknowledged."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from local_cache import open_cache

ROOT = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("autosave_writer.py")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.timeout(60)
def test_killed_writer_keeps_the_last_acknowledged_value(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, str(WRITER), str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acknowledged: list[int] = []
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("DRAFT "), first + process.stderr.read()
        message_id = first.split()[1]
        while len(acknowledged) < 40:
            line = process.stdout.readline()
            assert line, "the writer stopped early: " + process.stderr.read()
            acknowledged.append(int(line.split()[1]))
        # Right in the middle of the stream: the next save may be half written.
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        # Anything printed before the kill landed was acknowledged as well.
        acknowledged += [int(line.split()[1]) for line in process.stdout if line.startswith("ACK")]
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()

    assert process.returncode == -signal.SIGKILL
    assert acknowledged == sorted(acknowledged)
    cache = open_cache(path)
    try:
        values = cache.messages.get(message_id).values
    finally:
        cache.close()
    assert values["counter"] >= acknowledged[-1]
    assert values["note"].startswith(f"value {values['counter']} ")
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
