"""A national year of synthetic demo data, made once on the first start of `registry-server
--demo` (`ServerSettings.demo_national`).

What it makes, all synthetic and deterministic for a given day:
* units at the hospitals of resources/codelists/hospitals.json, each with `Unit.registries`
  (registry_server.demo.units; the demo accounts' units take their roles);
* a year of cases up to `today`: about 4,000 breast, 1,900 lymphoid, 560 sarcoma and 200
  childhood cancers, and some 900 cases of the registries that have only an assessment form;
* their expected-case notifications (pathology diagnoses, surgery procedures, treatment
  starts), stored and routed by `registry_server.reminders.expected.insert_expected_cases`;
* the messages the units sent (most of them, some late, some never), each stored with its
  receipt signed by `signing_key` (`registry_server.submissions.new_message`), inserted in
  the order received (nothing to resolve: the reminders come after).

A `job_runs` row with job "demo_national" marks it done, in the same transaction, under the
start-up lock (`db.take_startup_lock`): a restart, or a second process starting on the same
PostgreSQL database, adds nothing. Then the jobs run once, so reminders and statistics are
there at once. Messages are not validated here (the test validates every one).
"""

from __future__ import annotations

import datetime
import json
import logging
import time
import uuid
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.forms import Catalogue, transfer_flags
from desktop_app.receipt_signature import SigningKey
from registry_server.accounts import Principal, get_or_create_unit
from registry_server.db import take_startup_lock
from registry_server.demo import DEMO_ACCOUNTS, breast, childhood, lymphoid, others, sarcoma
from registry_server.demo.units import DemoUnit, national_units
from registry_server.demo.year import DemoYear, Sent
from registry_server.jobs.runner import JobsBusy, run_jobs
from registry_server.models import JobRun, Message, Receipt, utcnow
from registry_server.reminders.expected import insert_expected_cases
from registry_server.submissions import canonical_and_sha, new_message

log = logging.getLogger(__name__)

MARKER_JOB = "demo_national"
_CHUNK = 2000  # rows per multi-row INSERT


def seed_national_demo(
    session_factory: sessionmaker[Session],
    catalogue: Catalogue,
    signing_key: SigningKey,
    today: datetime.date,
    *,
    scale: float = 1.0,
    run_the_jobs: bool = True,
) -> dict[str, Any] | None:
    """Make the national demo year unless it is there; its summary, or None when it was
    already made. `scale` shrinks every volume (tests); `run_the_jobs=False` leaves the
    reminders and statistics to the caller."""
    started = time.perf_counter()
    with session_factory() as session:
        take_startup_lock(session)
        if session.scalar(select(JobRun.id).where(JobRun.job == MARKER_JOB).limit(1)):
            log.info("The national demo data is already in place")
            return None
        summary = _make(session, catalogue, signing_key, today, scale)
        now = utcnow()
        session.add(
            JobRun(
                job=MARKER_JOB,
                as_of=today,
                started_at=now,
                finished_at=now,
                summary=json.dumps(summary, sort_keys=True),
            )
        )
        session.commit()
    summary["seconds"] = round(time.perf_counter() - started, 2)
    log.info("National demo data made: %s", summary)
    if run_the_jobs:
        try:
            summary["jobs"] = run_jobs(session_factory, catalogue, today)
        except JobsBusy:
            log.info("Another process is running the jobs; they will include the demo data")
    return summary


def make_year(catalogue: Catalogue, today: datetime.date, scale: float = 1.0) -> DemoYear:
    """Every unit, notification and message of the demo year, in memory."""
    demo_units = {a.username: (a.hospital_code, a.unit_name, a.department) for a in DEMO_ACCOUNTS}
    hospitals = catalogue.code_list("hospitals").entries
    region_of = {e.code: str(e.attributes["region"]) for e in hospitals}
    year = DemoYear(catalogue, today, national_units(demo_units), region_of)
    breast.generate(year, round(breast.YEARLY * scale))
    lymphoid.generate(year, round(lymphoid.YEARLY * scale))
    sarcoma.generate(year, round(sarcoma.YEARLY * scale))
    childhood.generate(year, round(childhood.YEARLY * scale))
    others.generate(year, scale)
    return year


def _make(
    session: Session,
    catalogue: Catalogue,
    signing_key: SigningKey,
    today: datetime.date,
    scale: float,
) -> dict[str, Any]:
    year = make_year(catalogue, today, scale)
    unit_ids = _units(session, catalogue, year.units)
    cases = insert_expected_cases(
        session, year.notified, import_id=f"demo-national-{today.isoformat()}"
    )
    # Oldest first, so row ids (and the receipts cursor) follow the order received, as for
    # messages that arrive one by one. Nothing to resolve: there are no reminders yet.
    principals = {
        unit.key: Principal(0, unit.username or _reporter(unit), unit_ids[unit.key])
        for unit in year.units
    }
    ordered = sorted(year.sent, key=lambda s: (s.received_at, s.body["message_id"]))
    new = [
        _new(catalogue, principals[s.unit.key], s, signing_key, _key(i, s))
        for i, s in enumerate(ordered)
    ]
    for start in range(0, len(new), _CHUNK):
        chunk = new[start : start + _CHUNK]
        session.execute(insert(Message), [n.message for n in chunk])
        session.execute(insert(Receipt), [n.receipt for n in chunk])
    return {
        "units": len(unit_ids),
        "messages": len(year.sent),
        "expected_cases": cases.inserted,
        "unrouted_cases": cases.unrouted,
        "patients": len(year._ids),
    }


def _reporter(unit: DemoUnit) -> str:
    return f"demo.{unit.hospital_code}.{unit.department}"


def _new(catalogue: Catalogue, principal: Principal, sent: Sent, signer: SigningKey, key: str):  # type: ignore[no-untyped-def]
    body = sent.body
    definition = catalogue.get(body["registry"], body["form"], body["version"])
    nopho_care = (
        "nopho_care" in definition.transfer
        and transfer_flags(definition, body["values"]).get("nopho_care") is True
    )
    canonical, sha = canonical_and_sha(body)
    return new_message(
        principal, body, canonical, sha, key, sent.received_at, nopho_care=nopho_care, signer=signer
    )


def _key(index: int, sent: Sent) -> str:
    """A deterministic idempotency key (the demo's messages are never retried), sorting in
    the order received."""
    tail = uuid.UUID(sent.body["message_id"]).int & ((1 << 96) - 1)
    return str(uuid.UUID(int=(index << 96) | tail, version=4))


def _units(session: Session, catalogue: Catalogue, units: list[DemoUnit]) -> dict[str, int]:
    names = {e.code: e.label_text("nb") for e in catalogue.code_list("hospitals").entries}
    ids = {}
    for unit in units:
        hospital_name = next(
            (a.hospital_name for a in DEMO_ACCOUNTS if a.username == unit.username),
            names[unit.hospital_code],
        )
        row, _ = get_or_create_unit(
            session,
            name=unit.name,
            hospital_code=unit.hospital_code,
            hospital_name=hospital_name,
            department=unit.department,
        )
        row.registries = json.dumps(
            sorted(set(json.loads(row.registries or "[]")) | set(unit.registries))
        )
        ids[unit.key] = row.id
    session.flush()
    return ids
