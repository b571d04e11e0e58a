"""Grab the Statistics page, in the real main window, to a PNG, from any statistics answer.

    .venv/bin/python scripts/statistics_screenshot.py \\
        [--payload ANSWER.json | --cache CACHE.sqlite3 --owner USER | --fetch URL --ca-bundle PEM \\
         --user demo --password demo] [--registry breast] [--indicator ID] [--lang en|nb] \\
        [--size 1280x900] [--out docs/statistics.png] [--save-payload ANSWER.json]

Without a source it makes a national demo year in a temporary folder and shows the answer the
real statistics job gives --user (demo or bergen; about ten seconds). `--fetch` signs in to a
running registry server (e.g. the demo server) and takes the unit's answer from GET
/statistics. The window is built on a throw-away data folder, signed in offline (nothing is sent).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def _payload(args: argparse.Namespace) -> tuple[dict[str, Any], datetime]:
    if args.payload:
        return json.loads(Path(args.payload).read_text("utf-8")), datetime.now(UTC)
    if args.cache:
        from local_cache import open_cache

        cache = open_cache(Path(args.cache))
        try:
            cached = cache.statistics.load(args.owner)
        finally:
            cache.close()
        if cached is None:
            sys.exit(f"No statistics cached for {args.owner} in {args.cache}")
        return cached.payload, cached.fetched_at
    if args.fetch:
        from desktop_app.sync.api_client import ApiClient

        with ApiClient(args.fetch, ca_bundle=args.ca_bundle) as api:
            token = api.sign_in(args.user, args.password)["access_token"]
            return api.statistics(token), datetime.now(UTC)
    from registry_server.demo.statistics_answers import demo_statistics_answers

    with tempfile.TemporaryDirectory(prefix="statistics-demo-") as folder:
        answers = demo_statistics_answers(Path(folder))
    if args.user not in answers:
        sys.exit(f"No demo user {args.user}; the demo users are {', '.join(answers)}.")
    return answers[args.user], datetime.now(UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payload", help="a GET /statistics answer saved as JSON")
    parser.add_argument("--cache", help="a client cache file to read the answer from")
    parser.add_argument("--owner", default="demo", help="whose answer in --cache")
    parser.add_argument("--fetch", help="a registry server's address to fetch the answer from")
    parser.add_argument("--ca-bundle", help="the server's CA certificate (PEM), with --fetch")
    parser.add_argument("--user", default="demo")
    parser.add_argument("--password", default="demo")
    parser.add_argument("--registry", default="breast")
    parser.add_argument("--indicator", help="the indicator to show (default: the first)")
    parser.add_argument("--lang", default="en", choices=("en", "nb"))
    parser.add_argument("--size", default="1280x900")
    parser.add_argument("--out", default="docs/statistics.png")
    parser.add_argument("--save-payload", help="also write the answer shown to this file")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    payload, fetched_at = _payload(args)
    if args.save_payload:
        Path(args.save_payload).write_text(json.dumps(payload, ensure_ascii=False, indent=1))

    with tempfile.TemporaryDirectory(prefix="statistics-shot-") as folder:
        # Keep the user's own settings and window geometry out of it (and untouched).
        os.environ["XDG_CONFIG_HOME"] = str(Path(folder) / "config")
        return _grab(args, payload, fetched_at, Path(folder))


def _grab(args: argparse.Namespace, payload: dict, fetched_at: datetime, folder: Path) -> int:
    from PySide6.QtWidgets import QApplication

    from desktop_app.app import build_services
    from desktop_app.auth import Session
    from desktop_app.config import Settings
    from ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings = Settings(
        server_url="https://127.0.0.1:9", data_dir=folder / "data", language=args.lang
    )
    services = build_services(settings)
    unit = payload.get("unit") or {}
    session = Session(
        server_url=settings.server_url,
        username=args.user,
        display_name="Demo Doctor",
        unit={
            "id": unit.get("id"),
            "name": unit.get("name") or "",
            "hospital_code": unit.get("hospital_code") or "",
            "hospital_name": unit.get("hospital_name") or "",
            "department": "",
        },
        offline=True,
        tokens=services.tokens,
    )
    services.cache.statistics.save(session.username, payload, fetched_at)
    try:
        window = MainWindow(services, session, None)
        width, height = (int(v) for v in args.size.split("x"))
        window.resize(width, height)
        window.show()
        window.show_page(MainWindow.STATISTICS)
        view = window.statistics_page.ensure_page()
        _wait(app, lambda: view.is_loaded)
        if view.registry_box.findData(args.registry) >= 0:
            view.show_registry(args.registry)
        if args.indicator:
            view.select_indicator(args.indicator)
        for _ in range(5):
            app.processEvents()
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(args.out)):
            sys.exit(f"Could not write {args.out}")
        print(f"Wrote {args.out} ({view.registry}, {view.indicator_id})")
        window.hide()
        return 0
    finally:
        services.shutdown()


def _wait(app, condition, timeout_s: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            sys.exit("The Statistics page did not load in time")
        app.processEvents()
        time.sleep(0.01)


if __name__ == "__main__":
    sys.exit(main())
