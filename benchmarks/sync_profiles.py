"""Profiling for benchmarks/sync_throughput.py (`--profile`): cProfile in every thread of the
server process and of the client's sync engine, and where one batch's time goes, phase by
phase. Imported by the benchmark (this folder is on sys.path when it runs)."""

from __future__ import annotations

import contextlib
import cProfile
import io
import pstats
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def serve_profiled(profile_dir: Path, cli_args: list[str]) -> int:
    """Run `registry-server` under cProfile: its event loop (TLS, HTTP, routing, answers; and
    the start-up) into server-loop.prof, the worker threads (where submissions are parsed,
    checked and stored) into server-workers.prof, written when the server stops."""
    from registry_server.cli import main as server_main

    # uvicorn re-raises the SIGTERM it stopped on once it is done; the stats must be written
    # before the process goes, so that second delivery is ignored.
    signal.signal(signal.SIGTERM, lambda *_: None)
    event_loop = cProfile.Profile()  # uvicorn's event loop runs in this thread
    with profiling_every_thread() as workers:
        event_loop.enable()
        try:
            code = server_main(cli_args)
        finally:
            event_loop.disable()
    event_loop.dump_stats(profile_dir / "server-loop.prof")
    if workers:
        merged = pstats.Stats(workers[0])
        for profile in workers[1:]:
            merged.add(profile)
        merged.dump_stats(profile_dir / "server-workers.prof")
    return code


@contextlib.contextmanager
def profiling_every_thread(
    only: Callable[[str], bool] = lambda _name: True,
) -> Iterator[list[cProfile.Profile]]:
    """cProfile in each thread started meanwhile whose name passes `only` (not in this one).

    cProfile sees only the thread that enabled it, so each new thread enables its own on its
    first profile event (threading.setprofile). Times are wall-clock: they include waiting for
    the GIL and for the disk."""
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def start_in_this_thread(*_event: object) -> None:
        sys.setprofile(None)
        if not only(threading.current_thread().name):
            return
        profile = cProfile.Profile()
        with lock:
            profiles.append(profile)
        profile.enable()

    threading.setprofile(start_in_this_thread)
    try:
        yield profiles
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
        for profile in profiles:
            profile.disable()


# (label, end of the file name, function name): where the time of one batch goes.
_SQLITE_COMMIT = ("~", "<method 'commit' of 'sqlite3.Connection' objects>")
ENGINE_PHASES = [
    ("whole passes (_send_outbox)", "desktop_app/sync/engine.py", "_send_outbox"),
    ("claim_outgoing", "local_cache/messages.py", "claim_outgoing"),
    ("api.submit_batch (the request)", "desktop_app/sync/api_client.py", "submit_batch"),
    ("  request JSON encode (httpx)", "httpx/_content.py", "encode_json"),
    ("  TLS send", "~", "<method 'write' of '_ssl._SSLSocket' objects>"),
    ("  waiting for the answer (TLS read)", "~", "<method 'read' of '_ssl._SSLSocket' objects>"),
    ("  answer JSON decode", "httpx/_models.py", "json"),
    ("  _item_result (per item)", "desktop_app/sync/api_client.py", "_item_result"),
    ("_settle (record and publish)", "desktop_app/sync/engine.py", "_settle"),
    ("  record_outcomes", "local_cache/messages.py", "record_outcomes"),
    ("  count_unsent", "local_cache/messages.py", "count_unsent"),
    ("  events published (EventBus.publish)", "desktop_app/events.py", "publish"),
    ("SQLite commits (all)", *_SQLITE_COMMIT),
]
UI_PHASES = [
    ("bridge: core events to signals", "ui/bridge.py", "_dispatch"),
    ("background results delivered", "ui/workers.py", "_deliver"),
    ("  model reloads applied (set_rows)", "ui/models/table_model.py", "set_rows"),
    (
        "    resets (proxy sort, views)",
        "~",
        "<method 'endResetModel' of 'PySide6.QtCore.QAbstractItemModel' objects>",
    ),
    ("    fit_columns (resizeColumnToContents)", "ui/views/common.py", "fit_columns"),
    ("  OutboxModel.set_now", "ui/models/messages_model.py", "set_now"),
    ("table cells read (RowTableModel.data)", "ui/models/table_model.py", "data"),
]
SERVER_WORKER_PHASES = [
    ("token check (current_principal)", "registry_server/deps.py", "current_principal"),
    ("_batch (route work off the loop)", "registry_server/routes/messages.py", "_batch"),
    ("  parse_batch (JSON, key checks)", "registry_server/submission_parsing.py", "parse_batch"),
    ("  canonical body + SHA-256", "registry_server/submissions.py", "canonical_and_sha"),
    ("  check_body (shape, pydantic)", "registry_server/submission_parsing.py", "check_body"),
    ("  _stored (keys already stored)", "registry_server/submission_batch.py", "_stored"),
    ("  check_message (form version, rules)", "registry_server/submissions.py", "check_message"),
    ("    validate", "desktop_app/forms/validation.py", "validate"),
    ("  new_message (+ signing)", "registry_server/submissions.py", "new_message"),
    ("  receipt_out", "registry_server/submissions.py", "receipt_out"),
    ("  insert_new (messages, receipts)", "registry_server/submissions.py", "insert_new"),
    ("  SQLite commits", *_SQLITE_COMMIT),
]
SERVER_LOOP_PHASES = [
    ("post_batch (async route)", "registry_server/routes/messages.py", "post_batch"),
    ("answer JSON (JSONResponse.render)", "starlette/responses.py", "render"),
    ("TLS decrypt (sslproto._do_read)", "asyncio/sslproto.py", "_do_read"),
    ("TLS encrypt (sslproto._do_write)", "asyncio/sslproto.py", "_do_write"),
    ("HTTP parse (h11 next_event)", "h11/_connection.py", "next_event"),
    ("HTTP write (h11 send)", "h11/_connection.py", "send"),
]


def report_profile(
    title: str,
    profiles: list[Any],
    path: Path,
    phases: list[tuple[str, str, str]] | None = None,
    batches: int = 1,
    top: int = 20,
) -> None:
    """Save the merged stats; print the phases' cumulative times and the top functions by own
    time (wall-clock, with cProfile's overhead: compare shares, not absolute figures)."""
    if not profiles:
        print(f"\n== {title}: no profile was recorded")
        return
    stats = pstats.Stats(profiles[0])
    for profile in profiles[1:]:
        stats.add(profile)
    stats.dump_stats(path)
    if phases:
        print(f"\n== {title}: phases, cumulative, {batches} batches ({path})")
        table: dict[tuple, tuple] = stats.stats  # type: ignore[attr-defined]
        for label, file_end, function in phases:
            found = [
                (calls, cumulative)
                for (file, _line, name), (_cc, calls, _tt, cumulative, _callers) in table.items()
                if name == function and file.endswith(file_end)
            ]
            calls = sum(c for c, _ in found)
            seconds = sum(t for _, t in found)
            print(
                f"  {label:40s} {seconds * 1000:9.1f} ms {calls:7d} calls "
                f"{seconds * 1000 / max(batches, 1):8.1f} ms/batch"
            )
    out = io.StringIO()
    pstats.Stats(str(path), stream=out).sort_stats("tottime").print_stats(top)
    body = out.getvalue()
    print(f"\n== {title}: top {top} by own time")
    print(body[body.find("   ncalls") :].rstrip())
