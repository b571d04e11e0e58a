"""`registry-server import-expected FILE.csv`: load expected-case notifications (pathology
reports, procedure codes from the hospitals' patient administration) into the server's
database, then (with --run-jobs) compute the reminders they lead to.

A file with any bad row is refused whole: nothing is imported and every problem is listed by
line and column. Importing the same file again stores nothing twice.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from desktop_app.forms import DefinitionError, load_catalogue
from desktop_app.reminder_rules import load_reminder_rules
from registry_server.cli_database import (
    DatabaseNotReady,
    add_database_arguments,
    iso_date,
    open_database,
    settings_from,
)
from registry_server.db import make_session_factory
from registry_server.reminders.expected import InsertResult, insert_expected_cases
from registry_server.reminders.expected_csv import (
    IDENTITY_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    ExpectedFileError,
    read_expected_csv,
)

MAX_SHOWN = 100  # problems printed; the rest are counted
MAX_BYTES = 200 * 1024 * 1024


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="registry-server import-expected",
        description="Load expected-case notifications from a CSV file. Columns (first line): "
        f"{' or '.join(IDENTITY_COLUMNS)}, {', '.join(REQUIRED_COLUMNS)}, optionally "
        f"{', '.join(OPTIONAL_COLUMNS)}. UTF-8, separated by , or ;. A file with any bad row "
        "is refused whole, with every problem listed; importing a file twice stores nothing "
        "twice. Format: docs/notes/reminders.md.",
    )
    parser.add_argument("file", type=Path, help="the notifications file (CSV)")
    parser.add_argument(
        "--run-jobs",
        action="store_true",
        help="compute the reminders right after importing (as `registry-server jobs --only "
        "reminders` does)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="only check the file and say what is wrong; import nothing",
    )
    parser.add_argument(
        "--today",
        type=iso_date,
        default=None,
        help="the day to check dates against and to compute reminders for (YYYY-MM-DD; "
        "default: today)",
    )
    add_database_arguments(parser)
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level="WARNING", format="%(levelname)s %(name)s: %(message)s")
    today = args.today or datetime.date.today()
    path: Path = args.file
    try:
        if path.stat().st_size > MAX_BYTES:
            print(
                f"{path} is larger than {MAX_BYTES // 1024 // 1024} MB; split it.", file=sys.stderr
            )
            return 1
        data = path.read_bytes()
    except OSError as exc:
        print(f"{path} cannot be read ({exc.strerror or exc}); check the path.", file=sys.stderr)
        return 1
    try:
        catalogue = load_catalogue()
        rules = load_reminder_rules(catalogue=catalogue)
    except DefinitionError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    try:
        cases = read_expected_csv(data, catalogue=catalogue, rules=rules, today=today)
    except ExpectedFileError as exc:
        _print_problems(path, exc)
        return 1
    if args.check:
        print(f"{path}: {len(cases)} notification(s), no problems found. Nothing was imported.")
        return 0

    try:
        engine = open_database(settings_from(args))
    except DatabaseNotReady as exc:
        print(exc, file=sys.stderr)
        return 1
    try:
        factory = make_session_factory(engine)
        try:
            with factory.begin() as session:
                result = insert_expected_cases(session, cases)
        except IntegrityError:
            print(
                "Another import stored some of these notifications at the same time; nothing "
                "was imported from this file. Run the command again.",
                file=sys.stderr,
            )
            return 1
        _print_result(path, result, cases, rules)
        if args.run_jobs:
            from registry_server.jobs.runner import JobsBusy, run_jobs

            try:
                summary = run_jobs(factory, catalogue, today, ["reminders"])["reminders"]
            except JobsBusy as exc:
                print(f"{exc} The reminders are computed by that run.", file=sys.stderr)
                return 0
            print(
                f"Reminders computed for {today.isoformat()}: {summary.get('created', 0)} new, "
                f"{summary.get('open', 0)} open in all."
            )
    finally:
        engine.dispose()
    return 0


def _print_problems(path: Path, error: ExpectedFileError) -> None:
    problems = error.problems
    print(
        f"{path} was not imported: {len(problems)} problem(s). Nothing from the file was "
        "stored; correct the file and import it again.",
        file=sys.stderr,
    )
    for problem in problems[:MAX_SHOWN]:
        print(f"  {problem}", file=sys.stderr)
    if len(problems) > MAX_SHOWN:
        print(f"  ... and {len(problems) - MAX_SHOWN} more.", file=sys.stderr)


def _print_result(path: Path, result: InsertResult, cases, rules) -> None:  # type: ignore[no-untyped-def]
    print(
        f"{path}: {result.received} notification(s); {result.inserted} imported, "
        f"{result.duplicates} already imported before (or twice in the file)."
    )
    if result.unrouted:
        print(
            f"{result.unrouted} of the new ones are not routed to a unit: no unit at the "
            "hospital reports to that registry. They are kept and routed when one does:"
        )
        for (hospital, registry), count in sorted(result.unrouted_at.items()):
            print(f"  hospital {hospital}, registry {registry}: {count}")
    without_rule = sum(1 for case in cases if not rules.for_event(case.registry, case.event))
    if without_rule:
        print(
            f"{without_rule} notification(s) have an event no reminder rule uses for their "
            "registry; they are kept (e.g. for reporting coverage) but lead to no reminder."
        )
