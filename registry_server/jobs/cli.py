"""`registry-server jobs`: compute reminders and statistics now (what the nightly scheduler
does), e.g. after importing expected cases or from the system's own scheduler."""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import sys
from collections.abc import Sequence

from desktop_app.forms import load_catalogue
from registry_server.cli_database import (
    DatabaseNotReady,
    add_database_arguments,
    iso_date,
    open_database,
    settings_from,
)
from registry_server.db import make_session_factory
from registry_server.jobs.runner import JOBS, JobsBusy, run_jobs


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="registry-server jobs",
        description="Compute the reminders and the unit statistics now, as the nightly "
        "scheduler does. Prints what each job did as JSON.",
    )
    parser.add_argument(
        "--only",
        choices=list(JOBS),
        action="append",
        help="run only this job (may be given twice); default: all, reminders first",
    )
    parser.add_argument(
        "--today",
        type=iso_date,
        default=None,
        help="compute as of this day (YYYY-MM-DD; default: today). A later day is refused "
        "without --future: its reminders would be stored for real, and its statistics served.",
    )
    parser.add_argument(
        "--future",
        action="store_true",
        help="allow a --today after today (a staging database, never the live one)",
    )
    add_database_arguments(parser)
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    if args.today is not None and args.today > datetime.date.today() and not args.future:
        print(
            f"--today {args.today.isoformat()} is after today: the reminders due by then would "
            "be stored for real and sent to the units, and its statistics served until the next "
            "run. Give a day up to today, or add --future on a staging database.",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        engine = open_database(settings_from(args))
    except DatabaseNotReady as exc:
        print(exc, file=sys.stderr)
        return 1
    try:
        results = run_jobs(
            make_session_factory(engine), load_catalogue(), args.today, args.only or list(JOBS)
        )
    except JobsBusy as exc:
        print(f"{exc} Try again when it has finished.", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(json.dumps(results, indent=2, sort_keys=True))
    return 0
