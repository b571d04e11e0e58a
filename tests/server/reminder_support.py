"""Shared by the reminder tests: units that report to registries, notification files, valid
messages for a given patient, and running the reminder job."""

from __future__ import annotations

import csv
import datetime
import io
import json
import random
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, update

from desktop_app.forms import example_values, generate_identity_number, validate
from desktop_app.reminder_rules import Rule, load_reminder_rules
from registry_server.jobs import run_jobs
from registry_server.models import Reminder, Unit
from registry_server.reminders.expected_cli import main as import_main
from tests.server.helpers import catalogue
from tests.support.live_server import LiveServer

RULES = load_reminder_rules(catalogue=catalogue())
FOUR = ("breast", "lymphoid", "childhood", "sarcoma")
DEMO_HOSPITAL = "0320"  # the demo user's unit (Ullevål)
BERGEN_HOSPITAL = "1305"  # the bergen user's unit (Haukeland)
SOURCE_OF_EVENT = {
    "pathology_diagnosis": "pathology",
    "surgery_procedure": "patient_administration",
    "radiotherapy_start": "radiotherapy_system",
    "drug_therapy_start": "medication_system",
}
COLUMNS = (
    "patient_id",
    "case_id",
    "patient_name",
    "registry",
    "event",
    "event_date",
    "hospital_code",
    "department",
    "source",
)


def report_to(server: LiveServer, registries: Iterable[str] = FOUR, *, unit_id: int | None = None):
    """Every unit (or one) reports to `registries`."""
    statement = update(Unit).values(registries=json.dumps(list(registries)))
    if unit_id is not None:
        statement = statement.where(Unit.id == unit_id)
    with server.session_factory.begin() as session:
        session.execute(statement)


def patient(seed: object, *, registry: str = "breast", born: datetime.date | None = None) -> str:
    rng = random.Random(f"reminder-tests:{seed}")
    if born is None:
        born = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(30 * 365))
    gender = "F" if registry == "breast" else None
    return generate_identity_number(rng, born, gender=gender)


def case_row(
    *,
    registry: str,
    event: str,
    event_date: datetime.date | str,
    patient_id: str = "",
    case_id: str = "",
    patient_name: str = "Fiktiv, Testpasient",
    hospital_code: str = DEMO_HOSPITAL,
    department: str = "",
    source: str | None = None,
) -> dict[str, str]:
    return {
        "patient_id": patient_id,
        "case_id": case_id,
        "patient_name": patient_name,
        "registry": registry,
        "event": event,
        "event_date": str(event_date),
        "hospital_code": hospital_code,
        "department": department,
        "source": source or SOURCE_OF_EVENT[event],
    }


def csv_bytes(
    rows: Iterable[Mapping[str, str]],
    *,
    columns: Iterable[str] = COLUMNS,
    delimiter: str = ",",
    bom: bool = False,
) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), delimiter=delimiter)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: v for k, v in row.items() if k in writer.fieldnames})
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


def import_rows(
    server: LiveServer,
    tmp_path: Path,
    rows: Iterable[Mapping[str, str]],
    *,
    today: datetime.date,
    extra: Iterable[str] = (),
) -> int:
    """Run `registry-server import-expected` (in this process) on a file of `rows`."""
    path = tmp_path / f"notifications-{uuid.uuid4().hex[:8]}.csv"
    path.write_bytes(csv_bytes(rows))
    argv = [str(path), "--database-url", server.database_url, "--today", today.isoformat()]
    return import_main([*argv, *extra])


def run_reminders(server: LiveServer, today: datetime.date) -> dict:
    return run_jobs(server.session_factory, catalogue(), today, ["reminders"])["reminders"]


def rule_reminders(server: LiveServer, **where: Any) -> list[Reminder]:
    """Reminders made by rules (not the demo's own), filtered by column values."""
    with server.session_factory() as session:
        query = select(Reminder).where(Reminder.rule_id.is_not(None))
        for name, value in where.items():
            query = query.where(getattr(Reminder, name) == value)
        rows = list(session.scalars(query.order_by(Reminder.created_at, Reminder.id)))
        session.expunge_all()
        return rows


def listed(client: httpx.Client, headers: dict) -> dict[str, dict]:
    """GET /reminders: {id: reminder}."""
    response = client.get("/api/v1/reminders", headers=headers)
    assert response.status_code == 200, response.text
    return {r["id"]: r for r in response.json()["reminders"]}


def valid_values(
    registry: str,
    form: str,
    *,
    today: datetime.date,
    patient_id: str | None,
    seed: int = 0,
    **overrides: Any,
) -> dict:
    """Valid answers on the latest `form` for `patient_id` (None: a patient without a
    Norwegian number), with `overrides`; tries seeds until the form has no errors."""
    definition = catalogue().latest(registry, form)
    for attempt in range(seed, seed + 200):
        values = example_values(definition, random.Random(attempt), today=today)
        values.pop("patient_no_norwegian_id", None)
        values.pop("patient_id_specification", None)
        if patient_id is None:
            values["patient_no_norwegian_id"] = ["1"]
            values["patient_id_specification"] = "Test case without a Norwegian number"
            values.pop("patient_id", None)
        else:
            values["patient_id"] = patient_id
        values.update(overrides)
        values = definition.submitted_values(values)
        if not [i for i in validate(definition, values, today) if i.severity == "error"]:
            return values
    raise AssertionError(f"no valid {registry}/{form} answers for this patient")


def message_body(registry: str, form: str, values: dict, reminder_id: str | None = None) -> dict:
    definition = catalogue().latest(registry, form)
    body = {
        "message_id": str(uuid.uuid4()),
        "registry": registry,
        "form": form,
        "version": definition.version,
        "values": values,
    }
    if reminder_id is not None:
        body["reminder_id"] = reminder_id
    return body


def send(client: httpx.Client, headers: dict, body: dict) -> dict:
    response = client.post(
        "/api/v1/messages", json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}
    )
    assert response.status_code == 201, response.text
    return response.json()


def satisfying(rule: Rule) -> dict[str, Any]:
    """Answers that make the rule's trigger condition hold (eq and in conditions only)."""
    assert rule.message is not None
    condition = rule.message.condition
    if condition is None:
        return {}
    leaves = condition.get("all", [condition])
    answers = {}
    for leaf in leaves:
        assert leaf.get("op") in ("eq", "in"), f"the test cannot satisfy {condition}"
        answers[leaf["field"]] = leaf["value"] if leaf["op"] == "eq" else leaf["value"][0]
    return answers


def trigger_date(rule: Rule, values: dict) -> datetime.date:
    assert rule.message is not None
    field, group = rule.message.date_field, rule.message.group
    if group is None:
        return datetime.date.fromisoformat(values[field])
    return min(datetime.date.fromisoformat(row[field]) for row in values[group] if row.get(field))


def born_for(registry: str, today: datetime.date) -> datetime.date | None:
    """A birth date that fits the registry (childhood: a child)."""
    return today - datetime.timedelta(days=8 * 365) if registry == "childhood" else None
