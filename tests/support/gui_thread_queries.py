"""Fails a GUI test in which the UI queried the local cache on the GUI thread.

Every SQL statement on an SQLite engine is looked at (SQLAlchemy's `before_cursor_execute` on
`Engine`, so every cache a test opens is covered). It is a violation when it runs on the main
thread (the GUI thread) AND the call stack passes through a module under `ui/`: the UI must
read and write the cache on its one cache worker (ui.workers.run_on_cache). Test code may still
read the database on the main thread to set up or assert.

Import `cache_queries_on_gui_thread` into a conftest to make it autouse there.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

UI_DIR = str(Path(__file__).resolve().parents[2] / "ui") + os.sep


@dataclass(frozen=True)
class Violation:
    statement: str
    ui_frames: tuple[str, ...]  # "ui/views/drafts_view.py:42 in delete_selected", innermost first

    def describe(self) -> str:
        statement = " ".join(self.statement.split())[:160]
        return f"  {statement}\n" + "".join(f"      via {frame}\n" for frame in self.ui_frames)


class GuiThreadQueryDetector:
    def __init__(self) -> None:
        self.violations: list[Violation] = []
        self._lock = threading.Lock()

    def install(self) -> None:
        event.listen(Engine, "before_cursor_execute", self._before_cursor_execute)

    def remove(self) -> None:
        event.remove(Engine, "before_cursor_execute", self._before_cursor_execute)

    def _before_cursor_execute(
        self,
        conn: Any,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        if conn.engine.url.get_backend_name() != "sqlite":
            return
        frames = ui_frames(sys._getframe(1))
        if frames:
            with self._lock:
                self.violations.append(Violation(statement, frames))

    def report(self) -> str:
        shown = self.violations[:20]
        more = len(self.violations) - len(shown)
        text = (
            f"{len(self.violations)} cache quer{'y' if len(self.violations) == 1 else 'ies'} "
            "ran on the GUI thread from ui/ (use ui.workers.run_on_cache):\n"
        )
        text += "".join(v.describe() for v in shown)
        return text + (f"  ... and {more} more\n" if more > 0 else "")


def ui_frames(frame: FrameType | None) -> tuple[str, ...]:
    """The frames of the stack (innermost first) whose code is in a module under ui/."""
    found = []
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(UI_DIR):
            relative = "ui/" + filename[len(UI_DIR) :].replace(os.sep, "/")
            found.append(f"{relative}:{frame.f_lineno} in {frame.f_code.co_name}")
        frame = frame.f_back
    return tuple(found)


@pytest.fixture(autouse=True)
def cache_queries_on_gui_thread() -> Iterator[GuiThreadQueryDetector]:
    """Autouse where imported: the test fails at teardown if the UI queried the cache on the
    GUI thread. A test that provokes one on purpose clears `violations` itself."""
    detector = GuiThreadQueryDetector()
    detector.install()
    try:
        yield detector
    finally:
        detector.remove()
    if detector.violations:
        pytest.fail(detector.report(), pytrace=False)
