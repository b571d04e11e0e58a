"""How long the nightly statistics job takes on the national demo year, on SQLite.

Seeds the national demo year (registry_server.demo.national: about 13,000 messages and
15,000 expected cases of some 7,600 patients) into a fresh SQLite file, runs the reminder job
once (the statistics count open reminders), then times `run_jobs(..., jobs=["statistics"])`
a few times. Target: under 10 s.

    .venv/bin/python benchmarks/statistics_job.py [--runs 3] [--today 2026-12-06]

The last line printed is one JSON object with the figures (seconds).
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from desktop_app.forms import load_catalogue
from registry_server.db import make_engine, make_session_factory, upgrade_database
from registry_server.demo import seed_demo
from registry_server.demo.national import seed_national_demo
from registry_server.jobs.runner import run_jobs
from registry_server.models import StatisticsCell
from registry_server.signing import load_signing_key

TARGET_S = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--today", type=datetime.date.fromisoformat, default=datetime.date(2026, 12, 6)
    )
    args = parser.parse_args()
    catalogue = load_catalogue()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'registry.sqlite3'}")
        upgrade_database(engine)
        factory = make_session_factory(engine)
        seed_demo(factory)
        key = load_signing_key(None, Path(folder), demo=True)
        started = time.perf_counter()
        demo = seed_national_demo(factory, catalogue, key, args.today, run_the_jobs=False)
        seed_s = time.perf_counter() - started
        assert demo is not None
        print(f"Seeded the national demo year in {seed_s:.2f} s: {demo}")
        reminders = run_jobs(factory, catalogue, args.today, jobs=["reminders"])["reminders"]
        print(f"Reminder job: {reminders['seconds']:.2f} s, {reminders['open']} open reminders")
        times = []
        summary: dict = {}
        for run in range(args.runs):
            started = time.perf_counter()
            summary = run_jobs(factory, catalogue, args.today, jobs=["statistics"])["statistics"]
            times.append(time.perf_counter() - started)
            print(f"Statistics job, run {run + 1}: {times[-1]:.2f} s, {summary['cells']} cells")
        with factory() as session:
            stored = session.scalar(select(func.count()).select_from(StatisticsCell))
        print(f"Cells stored after pruning (last runs kept): {stored}")
        engine.dispose()
    print(
        json.dumps(
            {
                "statistics_job_s": round(statistics.median(times), 2),
                "statistics_job_max_s": round(max(times), 2),
                "runs": len(times),
                "messages": summary["messages"],
                "expected_cases": summary["expected_cases"],
                "cells": summary["cells"],
                "indicators": summary["indicators"],
                "seed_s": round(seed_s, 2),
                "target_s": TARGET_S,
            }
        )
    )


if __name__ == "__main__":
    main()
