"""How long the reminder job takes on a national year, on SQLite.

Makes a fresh server database with a unit per university hospital and registry, inserts the
expected cases of a year (about 7,000: breast, lymphoid, sarcoma, childhood notifications of
each kind the rules use) with `insert_expected_cases`, and about 20,000 messages (the units'
answers to most of them, and the trigger messages of the message rules, with real form
bodies), then times the reminder job twice: the first run makes the reminders, the second
finds them all made.

    .venv/bin/python benchmarks/reminders_job.py [--cases 7000] [--messages 20000]

The last line printed is one JSON object with the figures (seconds).
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import insert

from desktop_app.forms import example_values, generate_identity_number, load_catalogue
from desktop_app.reminder_rules import load_reminder_rules
from registry_server.db import make_engine, make_session_factory, upgrade_database
from registry_server.models import Message, Unit, utcnow
from registry_server.reminders.expected import (
    ExpectedCaseIn,
    insert_expected_cases,
)
from registry_server.reminders.job import compute_reminders

TODAY = datetime.date(2026, 12, 6)
HOSPITALS = ("0320", "1305", "1608", "1903", "0105", "1107", "1504", "0601")
SHARE = {"breast": 0.6, "lymphoid": 0.27, "sarcoma": 0.09, "childhood": 0.04}
SOURCE = {
    "pathology_diagnosis": "pathology",
    "surgery_procedure": "patient_administration",
    "radiotherapy_start": "radiotherapy_system",
    "drug_therapy_start": "medication_system",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=7000)
    parser.add_argument("--messages", type=int, default=20000)
    args = parser.parse_args()
    rng = random.Random(20261206)
    catalogue = load_catalogue()
    rules = load_reminder_rules(catalogue=catalogue)

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'registry.sqlite3'}")
        upgrade_database(engine)
        factory = make_session_factory(engine)
        with factory.begin() as session:
            for code in HOSPITALS:
                session.add(
                    Unit(
                        name=f"Unit {code}",
                        hospital_code=code,
                        hospital_name=code,
                        department="surgery",
                        registries=json.dumps(list(SHARE)),
                    )
                )
        events_of = {
            r: sorted({x.event for x in rules.event_rules() if x.registry == r}) for r in SHARE
        }
        cases = []
        for _ in range(args.cases):
            registry = rng.choices(list(SHARE), weights=list(SHARE.values()))[0]
            event = rng.choice(events_of[registry])
            cases.append(
                ExpectedCaseIn(
                    registry=registry,
                    event=event,
                    event_date=TODAY - datetime.timedelta(days=rng.randrange(365)),
                    hospital_code=rng.choice(HOSPITALS),
                    source=SOURCE[event],
                    patient_id=generate_identity_number(rng),
                    patient_name="Fiktiv, Benchmark",
                )
            )
        started = time.perf_counter()
        with factory.begin() as session:
            insert_expected_cases(session, cases)
        insert_seconds = time.perf_counter() - started

        units = {code: i + 1 for i, code in enumerate(HOSPITALS)}
        owed = [(r.registry, r.form) for r in rules.event_rules()]
        triggers = [(r.registry, r.message.form) for r in rules.message_rules() if r.message]
        bodies = {
            pair: [example_values(catalogue.latest(*pair), rng, today=TODAY) for _ in range(20)]
            for pair in set(owed + triggers)
        }
        now = utcnow()
        rows = []
        for i in range(args.messages):
            case = cases[i % len(cases)]
            pair = rng.choice(triggers) if i % 3 == 0 else rng.choice(owed)
            definition = catalogue.latest(*pair)
            values = dict(rng.choice(bodies[pair]), patient_id=case.patient_id)
            body = {
                "message_id": str(uuid.uuid4()),
                "registry": pair[0],
                "form": pair[1],
                "version": definition.version,
                "values": values,
            }
            rows.append(
                {
                    "message_id": body["message_id"],
                    "unit_id": units[case.hospital_code],
                    "username": "bench",
                    "registry": pair[0],
                    "form": pair[1],
                    "version": definition.version,
                    "body": json.dumps(body, sort_keys=True, separators=(",", ":")),
                    "body_sha256": "0" * 64,
                    "idempotency_key": str(uuid.uuid4()),
                    "received_at": now - datetime.timedelta(minutes=args.messages - i),
                    "nopho_care_transfer": False,
                    "patient_id": case.patient_id,
                    "reminder_id": None,
                }
            )
        with factory.begin() as session:
            session.execute(insert(Message.__table__), rows)

        started = time.perf_counter()
        first = compute_reminders(factory, catalogue, TODAY, rules)
        first_seconds = time.perf_counter() - started
        started = time.perf_counter()
        again = compute_reminders(factory, catalogue, TODAY, rules)
        again_seconds = time.perf_counter() - started
        engine.dispose()

    print(f"{args.cases} expected cases inserted in {insert_seconds:.2f} s")
    print(f"first run: {first['created']} reminders in {first_seconds:.2f} s")
    print(f"second run: {again['created']} new in {again_seconds:.2f} s")
    print(
        json.dumps(
            {
                "cases": args.cases,
                "messages": args.messages,
                "insert_cases_s": round(insert_seconds, 3),
                "job_first_run_s": round(first_seconds, 3),
                "job_second_run_s": round(again_seconds, 3),
                "reminders_created": first["created"],
                "trigger_bodies_read": first["trigger_bodies_read"],
            }
        )
    )


if __name__ == "__main__":
    main()
