"""How fast a full outbox reaches the registry, and whether the UI stays responsive meanwhile.

Setup (not timed): the real `registry-server` in its own process (`python -m registry_server`,
the same main() as the console script: SQLite and its development certificate in a temporary
folder, demo data), a client data folder with 1,000 valid breast assessments queued in the
outbox, signed in as the demo user (token in a file keyring in the temporary folder).

Timed: the client as a user runs it. QApplication (offscreen unless QT_QPA_PLATFORM says
otherwise), the real services (`build_services`) and main window showing the Outbox page, then
the SyncEngine (batch size 100, as `Services.start_sync` makes it) is started; the sync time
runs until the engine reports the outbox empty (count_unsent == 0). Meanwhile a 5 ms timer on
the UI thread records how late it fires; the longest lateness, until the UI has seen the empty
outbox and had SETTLE_MS more to finish what that started, is the longest stall of the UI.
Afterwards the server's database must hold every message and the cache every receipt.

    .venv/bin/python benchmarks/sync_throughput.py [--messages 1000] [--batch-size 100]
    .venv/bin/python benchmarks/sync_throughput.py --ui none      # the engine alone, no Qt
    .venv/bin/python benchmarks/sync_throughput.py --profile /tmp/sync-profile

--ui none leaves Qt out: the difference to the default run is what the UI costs the sync.
--profile is a separate, slower run: cProfile on the sync engine thread, on the UI thread, and
on the server's event loop and worker threads; the top functions are printed, the .prof files
kept in the folder (e.g. for snakeviz).

The last line printed is one JSON object with the figures (seconds, milliseconds):
messages, seconds, messages_per_s, max_ui_stall_ms, and more. `load_1min` is the machine's
load average when the timed part began: other work on a 2-core machine skews every figure.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sync_profiles import (
    ENGINE_PHASES,
    SERVER_LOOP_PHASES,
    SERVER_WORKER_PHASES,
    UI_PHASES,
    profiling_every_thread,
    report_profile,
    serve_profiled,
)
from sync_server import ServerProcess, isolate_environment

DEMO_USER, DEMO_PASSWORD = "demo", "demo"  # made by the server's --demo data
TICK_MS = 5  # the UI-thread timer that measures its own lateness
SETTLE_MS = 500  # after the UI saw the empty outbox: time for debounced reloads to finish
WINDOW_SETTLE_MS = 300  # after the window's first load, before the clock starts
WINDOW_LOAD_TIMEOUT_S = 15.0
STALL_LIMIT_MS = 50.0  # the contract: the sync never blocks the UI thread longer
SYNC_ENGINE_THREAD = "sync-engine"  # desktop_app.sync.engine names its thread so


# -- the client ------------------------------------------------------------------------------


def queue_outbox(services: Any, owner: str, count: int, seed: int = 0) -> list[str]:
    """`count` valid breast assessments (synthetic answers, generated identity numbers) queued
    in the outbox as the client leaves them at Submit: a draft, then the frozen body and a key."""
    from desktop_app.forms import example_values

    definition = services.catalogue.latest("breast", "assessment")
    rng = random.Random(seed)
    messages = services.cache.messages
    ids = []
    for _ in range(count):
        values = definition.submitted_values(example_values(definition, rng))
        record = messages.create_draft(
            owner, definition.registry, definition.form, definition.version, values
        )
        body = {
            "message_id": record.id,
            "registry": definition.registry,
            "form": definition.form,
            "version": definition.version,
            "values": values,
        }
        messages.submit(record.id, body)
        ids.append(record.id)
    return ids


class StallMeter:
    """A TICK_MS timer on the UI thread; each tick records how much later than due it fired."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.lateness_ms: list[float] = []
        self._last = 0.0

    def start(self) -> None:
        self.lateness_ms.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self._tick()  # a stall still going on at the end counts too

    def _tick(self) -> None:
        now = time.perf_counter()
        self.lateness_ms.append(max(0.0, (now - self._last) * 1000 - TICK_MS))
        self._last = now

    @property
    def max_ms(self) -> float:
        return max(self.lateness_ms, default=0.0)

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.lateness_ms) or [0.0]
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def over(self, limit_ms: float) -> int:
        return sum(1 for late in self.lateness_ms if late > limit_ms)


@dataclass
class SyncRun:
    """What the timed part saw."""

    started: float = 0.0
    outbox_empty: float | None = None  # the engine found nothing unsent (engine thread)
    ui_saw_empty: float | None = None  # the main window got OutboxChanged(0) (UI thread)
    # When the engine published each outbox count (the first: before any batch), and the count.
    counts: list[tuple[float, int]] = field(default_factory=list)


def new_engine(services: Any, session: Any, batch_size: int) -> Any:
    """A sync engine as `Services.start_sync` makes it, not started yet."""
    from desktop_app.sync.engine import SyncEngine

    engine = SyncEngine(
        services.cache,
        services.api,
        session,
        services.events,
        interval_s=services.settings.sync_interval_s,
        retry_s=services.settings.retry_interval_s,
        batch_size=batch_size,
    )
    services.sync = engine  # so services.shutdown() stops it
    return engine


def note_outbox_counts(services: Any, run: SyncRun, on_empty: Callable[[], None]) -> None:
    """Record (engine thread, so only the time is noted) each outbox count the engine reports."""
    from desktop_app.events import OutboxChanged

    def on_event(event: object) -> None:
        if isinstance(event, OutboxChanged) and run.started:
            now = time.perf_counter()
            run.counts.append((now, event.unsent))
            if event.unsent == 0 and run.outbox_empty is None:
                run.outbox_empty = now
                on_empty()

    services.events.subscribe(on_event)


def engine_profiling(profile_dir: Path | None) -> contextlib.AbstractContextManager:
    if profile_dir is None:
        return contextlib.nullcontext([])
    return profiling_every_thread(lambda name: name == SYNC_ENGINE_THREAD)


def sync_with_window(
    services: Any, session: Any, batch_size: int, timeout_s: float, profile_dir: Path | None
) -> tuple[SyncRun, StallMeter]:
    """The timed part: the main window on the Outbox page while the engine empties the outbox."""
    from PySide6.QtCore import QTimer

    from ui.application import application
    from ui.main_window import MainWindow

    app = application()
    # Started only once the window is up and loaded (see when_window_is_loaded).
    engine = new_engine(services, session, batch_size)
    window = MainWindow(services, session, engine)
    window.show()
    window.show_page(MainWindow.OUTBOX)  # the user watches the outbox empty

    run = SyncRun()
    meter = StallMeter()
    note_outbox_counts(services, run, lambda: None)

    def on_outbox_changed(unsent: int) -> None:  # UI thread, after the window's own slots
        if unsent == 0 and run.started and run.ui_saw_empty is None:
            run.ui_saw_empty = time.perf_counter()
            QTimer.singleShot(SETTLE_MS, app.quit)

    window.bridge.outboxChanged.connect(on_outbox_changed)
    ui_profile = cProfile.Profile() if profile_dir else None

    def begin() -> None:
        meter.start()
        if ui_profile is not None:
            ui_profile.enable()
        run.started = time.perf_counter()
        engine.start()

    queued = services.cache.messages.count_unsent(session.username)
    waiting, shown_at = QTimer(), time.perf_counter()

    def when_window_is_loaded() -> None:
        # The window's first loads (in the background) are a sign-in moment, not the sync:
        # the clock starts once the outbox table shows every queued row (or after a while,
        # should the table show them otherwise), and a moment later.
        loaded = window.outbox_model.rowCount() >= queued
        if loaded or time.perf_counter() - shown_at > WINDOW_LOAD_TIMEOUT_S:
            waiting.stop()
            QTimer.singleShot(WINDOW_SETTLE_MS, begin)

    waiting.timeout.connect(when_window_is_loaded)
    with engine_profiling(profile_dir) as engine_profiles:
        waiting.start(20)
        QTimer.singleShot(int(timeout_s * 1000), app.quit)
        app.exec()
        meter.stop()
        if ui_profile is not None:
            ui_profile.disable()
        engine.stop()
    window.close()  # saves the geometry, shuts the services down
    app.processEvents()

    if profile_dir is not None:
        assert ui_profile is not None
        path = profile_dir / "client-ui.prof"
        report_profile("UI thread (client)", [ui_profile], path, UI_PHASES, batch_count(run))
        report_engine_profile(engine_profiles, profile_dir, run)
    return run, meter


def sync_headless(
    services: Any, session: Any, batch_size: int, timeout_s: float, profile_dir: Path | None
) -> tuple[SyncRun, None]:
    """The engine alone, no Qt: what the client core and the server manage without a UI."""
    engine = new_engine(services, session, batch_size)
    run = SyncRun()
    empty = threading.Event()
    note_outbox_counts(services, run, empty.set)
    with engine_profiling(profile_dir) as engine_profiles:
        run.started = time.perf_counter()
        engine.start()
        empty.wait(timeout_s)
        engine.stop()
    if profile_dir is not None:
        report_engine_profile(engine_profiles, profile_dir, run)
    return run, None


def report_engine_profile(profiles: list[Any], profile_dir: Path, run: SyncRun) -> None:
    path = profile_dir / "engine.prof"
    batches = batch_count(run)
    report_profile("sync engine thread (client)", profiles, path, ENGINE_PHASES, batches)


def batch_count(run: SyncRun) -> int:
    return max(1, len(run.counts) - 1)  # the first count is reported before any batch


# -- main ------------------------------------------------------------------------------------


def main() -> None:
    if sys.argv[1:2] == ["--serve-profiled"]:  # the server process of a --profile run
        sys.exit(serve_profiled(Path(sys.argv[2]), sys.argv[4:]))

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument(
        "--ui",
        choices=["window", "none"],
        default="window",
        help="window: the main window (the figures that count); none: the engine alone, no Qt "
        "(tells the UI's share apart)",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="give up after (seconds)")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="profile into DIR (slower)")
    args = parser.parse_args()
    profile_dir = None if args.profile is None else args.profile.resolve()
    if profile_dir is not None:
        profile_dir.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="sync-bench-") as folder:
        root = Path(folder)
        isolate_environment(root / "home")
        server = ServerProcess(root / "server", root / "server.log", profile_dir=profile_dir)
        try:
            figures = run_benchmark(server, root / "client", args, profile_dir)
        finally:
            server.stop()
    if profile_dir is not None:
        batches = figures["batches"]
        for name, title, phases in (
            ("workers", "worker threads", SERVER_WORKER_PHASES),
            ("loop", "event loop (start-up included)", SERVER_LOOP_PHASES),
        ):
            path = profile_dir / f"server-{name}.prof"
            found = [str(path)] if path.exists() else []
            report_profile(f"server {title}", found, path, phases, batches)

    stall = (
        "no UI"
        if figures["max_ui_stall_ms"] is None
        else f"UI caught up after {figures['ui_caught_up_s']} s; longest UI stall "
        f"{figures['max_ui_stall_ms']} ms (p99 {figures['ui_stall_p99_ms']} ms, "
        f"{figures['ui_stalls_over_50ms']} over {STALL_LIMIT_MS:.0f} ms)"
    )
    print(
        f"{figures['messages']} messages in {figures['seconds']} s: "
        f"{figures['messages_per_s']} messages/s; {stall}"
    )
    print(json.dumps(figures))


def run_benchmark(
    server: ServerProcess, client_dir: Path, args: argparse.Namespace, profile_dir: Path | None
) -> dict:
    from desktop_app.app import build_services
    from desktop_app.config import Settings

    started = time.perf_counter()
    server.start()
    settings = Settings(
        server_url=server.url,
        ca_bundle=str(server.ca_path),
        data_dir=client_dir,
        sync_batch_size=args.batch_size,
    )
    services = build_services(settings)
    try:
        session = services.sessions.sign_in(DEMO_USER, DEMO_PASSWORD)
        ids = queue_outbox(services, session.username, args.messages)
        print(
            f"setup: server up, {len(ids)} messages queued in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        sync = sync_with_window if args.ui == "window" else sync_headless
        load_before = round(os.getloadavg()[0], 2)
        run, meter = sync(services, session, args.batch_size, args.timeout, profile_dir)
    finally:
        services.shutdown()

    if run.outbox_empty is None:
        raise SystemExit(f"The outbox was not empty after {args.timeout} s; see {server.log_path}")
    check_everything_arrived(server, settings.cache_path, session.username, ids)

    seconds = run.outbox_empty - run.started
    caught_up = (run.ui_saw_empty or run.outbox_empty) - run.started
    return {
        "messages": len(ids),
        "seconds": round(seconds, 3),
        "messages_per_s": round(len(ids) / seconds, 1),
        "max_ui_stall_ms": None if meter is None else round(meter.max_ms, 1),
        "ui_stall_p99_ms": None if meter is None else round(meter.percentile(0.99), 1),
        "ui_stalls_over_50ms": None if meter is None else meter.over(STALL_LIMIT_MS),
        "ui_caught_up_s": None if meter is None else round(caught_up, 3),
        "ui": "main_window" if args.ui == "window" else "none",
        "batch_size": args.batch_size,
        "batches": batch_count(run),
        "profiled": profile_dir is not None,
        "load_1min": load_before,
        # Seconds from the start at which the engine reported each count of unsent messages.
        "unsent_at_s": [[round(t - run.started, 3), unsent] for t, unsent in run.counts],
    }


def check_everything_arrived(
    server: ServerProcess, cache_path: Path, owner: str, ids: list[str]
) -> None:
    """Nothing unsent, a receipt in the cache and the message on the server for every one."""
    from local_cache import open_cache

    cache = open_cache(cache_path)  # as the next start of the client sees it
    try:
        unsent = cache.messages.count_unsent(owner)
        wanted = set(ids)
        receipts = sum(r.message_id in wanted for r in cache.receipts.list(owner))
    finally:
        cache.close()
    on_server = server.stored(ids)
    if unsent or receipts != len(ids) or on_server != len(ids):
        raise SystemExit(
            f"Not everything arrived: {unsent} unsent, {receipts} receipts in the cache, "
            f"{on_server} of {len(ids)} messages on the server."
        )


if __name__ == "__main__":
    main()
