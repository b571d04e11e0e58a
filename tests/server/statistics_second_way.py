"""The second way of computing every statistic, for tests/server/test_statistics_second_way.py.

Plain Python written separately over the stored rows (message bodies decoded here, expected
cases, reminders, units) and the code lists' JSON: it does not call the statistics engine and
does not read resources/indicators.json; it knows each indicator's definition as
docs/notes/statistics-server.md words it. `second_way(Data(factory), today)` gives the cells
as the job stores them: {(indicator, level, key, period): (n, numerator, value)}.
"""

from __future__ import annotations

import datetime
import json
import statistics
from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import select

from desktop_app.resources import resources_dir
from registry_server.models import ExpectedCase, Message, Reminder, Unit
from tests.server.statistics_second_way_rules import CLINICAL, days_between

OSLO = ZoneInfo("Europe/Oslo")
ADMINISTRATIVE = (
    "messages_received",
    "coverage",
    "days_to_report",
    "open_reminders",
    "overdue_reminders",
)


def months_before(today: datetime.date) -> list[str]:
    """The twelve whole months before today's month, oldest first."""
    year, month = today.year, today.month
    out = []
    for _ in range(12):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        out.append(f"{year:04d}-{month:02d}")
    return out[::-1]


def codes(name: str) -> list[dict]:
    path = resources_dir() / "codelists" / f"{name}.json"
    return json.loads(path.read_text("utf-8"))["codes"]


class Data:
    today: datetime.date
    months: list[str]

    def __init__(self, factory) -> None:  # type: ignore[no-untyped-def]
        self.region = {c["code"]: c["region"] for c in codes("hospitals")}
        with factory() as session:
            self.hospital = dict(session.execute(select(Unit.id, Unit.hospital_code)).all())
            rows = session.execute(
                select(
                    Message.unit_id,
                    Message.registry_code,
                    Message.form,
                    Message.body,
                    Message.patient_id,
                    Message.reminder_id,
                    Message.message_id,
                    Message.received_at,
                ).order_by(Message.received_at, Message.id)
            ).all()
            self.expected = session.execute(
                select(
                    ExpectedCase.id,
                    ExpectedCase.registry_code,
                    ExpectedCase.event,
                    ExpectedCase.event_date,
                    ExpectedCase.patient_id,
                    ExpectedCase.hospital_code,
                    ExpectedCase.unit_id,
                )
            ).all()
            self.reminders = session.execute(
                select(
                    Reminder.id,
                    Reminder.unit_id,
                    Reminder.registry_code,
                    Reminder.due_date,
                    Reminder.event_date,
                    Reminder.expected_case_id,
                    Reminder.resolved_at,
                    Reminder.answer,
                )
            ).all()
        self.messages = [
            {
                "unit": unit,
                "registry": registry,
                "form": form,
                "values": json.loads(body)["values"],
                "patient": patient,
                "reminder": reminder,
                "id": message_id,
                # The registry's own date: a message received 00:30 in Oslo is that day's.
                "received": received.astimezone(OSLO).date(),
            }
            for unit, registry, form, body, patient, reminder, message_id, received in rows
        ]
        # registry -> patient -> form -> the first message of that form
        self.patients: dict[str, dict[str, dict[str, dict]]] = defaultdict(dict)
        for m in self.messages:
            forms = self.patients[m["registry"]].setdefault(m["patient"] or m["id"], {})
            forms.setdefault(m["form"], m)

    def places(self, unit: int | None, hospital: str | None = None) -> list[tuple[str, str]]:
        hospital = hospital or self.hospital.get(unit)
        out = [("unit", str(unit))] if unit is not None else []
        out += [("hospital", hospital), ("region", self.region[hospital]), ("nation", "")]
        return out


def _month(day: object, months: list[str]) -> str | None:
    text = str(day)[:7] if day else ""
    return text if text in months else None


class Cells:
    """Counts per (indicator, level, key, period), as the job stores them."""

    def __init__(self, data: Data) -> None:
        self.data = data
        self.n: dict[tuple, int] = defaultdict(int)
        self.hits: dict[tuple, int] = defaultdict(int)
        self.days: dict[tuple, list[int]] = defaultdict(list)
        self.kind: dict[str, str] = {}

    def add(self, indicator, kind, places, periods, hit=False, days=None) -> None:  # type: ignore[no-untyped-def]
        self.kind[indicator] = kind
        for level, key in places:
            for period in periods:
                cell = (indicator, level, key, period)
                self.n[cell] += 1
                self.hits[cell] += bool(hit)
                if days is not None:
                    self.days[cell].append(days)

    def stored_form(self) -> dict[tuple, tuple]:
        out = {}
        for cell, n in self.n.items():
            kind = self.kind[cell[0]]
            if kind == "proportion":
                out[cell] = (n, self.hits[cell], round(100 * self.hits[cell] / n, 1))
            elif kind == "median_days":
                out[cell] = (n, None, round(float(statistics.median(self.days[cell])), 1))
            else:
                out[cell] = (n, None, float(n))
        return out


def second_way(data: Data, today: datetime.date) -> dict[tuple, tuple]:
    data.today, data.months = today, months_before(today)
    cells = Cells(data)
    registries = [
        r["id"] for r in json.loads((resources_dir() / "registries.json").read_text())["registries"]
    ]
    for registry in registries:
        _administrative(data, cells, registry)
    _coverage(data, cells, "childhood", "treatment", "childhood.treatment_reported")
    for registry, table in CLINICAL.items():
        for indicator, (anchor, rule) in table.items():
            for forms in data.patients[registry].values():
                if anchor not in forms:
                    continue
                found = rule(forms)
                if found is None:
                    continue
                month, outcome = found
                if _month(month, data.months) is None:
                    continue
                places = data.places(forms[anchor]["unit"])
                periods = (_month(month, data.months), "12m")
                if outcome is True or outcome is False:
                    cells.add(indicator, "proportion", places, periods, hit=outcome)
                elif outcome == "count":
                    cells.add(indicator, "count", places, periods)
                else:
                    cells.add(indicator, "median_days", places, periods, days=outcome)
    return cells.stored_form()


def _administrative(data: Data, cells: Cells, registry: str) -> None:
    for m in data.messages:
        if m["registry"] == registry and _month(m["received"], data.months):
            places = data.places(m["unit"])
            cells.add(
                f"{registry}.messages_received",
                "count",
                places,
                (_month(m["received"], data.months), "12m"),
            )
    _coverage(data, cells, registry, "assessment", f"{registry}.coverage")
    for forms in data.patients[registry].values():
        a = forms.get("assessment")
        if a is None:
            continue
        days = days_between(a["values"].get("diagnosis_date"), a["received"].isoformat())
        if days is not None and days >= 0 and _month(a["received"], data.months):
            cells.add(
                f"{registry}.days_to_report",
                "median_days",
                data.places(a["unit"]),
                (_month(a["received"], data.months), "12m"),
                days=days,
            )
    for _id, unit, reg, due, event, _case, resolved, answer in data.reminders:
        if reg != registry or resolved is not None or answer is not None:
            continue
        month = _month(event or due, data.months)
        periods = ("12m", month) if month else ("12m",)
        cells.add(f"{registry}.open_reminders", "count", data.places(unit), periods)
        if due < data.today:
            cells.add(f"{registry}.overdue_reminders", "count", data.places(unit), periods)


def _coverage(data: Data, cells: Cells, registry: str, form: str, indicator: str) -> None:
    """Pathology cases at least `grace` days old that the unit did not answer as not its own,
    and of those the ones with a message of `form` for the patient received on or after the
    diagnosis day, or made from the case's reminder."""
    grace = 90 if form == "treatment" else 60
    case_of = {r[0]: r[5] for r in data.reminders}
    answered = {r[5] for r in data.reminders if r[7] is not None and r[5] is not None}
    received: dict[str, list] = defaultdict(list)  # patient -> days messages of form came
    by_reminder = set()
    for m in data.messages:
        if m["registry"] != registry or m["form"] != form:
            continue
        if m["patient"]:
            received[m["patient"]].append(m["received"])
        by_reminder.add(case_of.get(m["reminder"]))
    last_due = data.today - datetime.timedelta(days=grace)
    for case_id, reg, event, day, patient, hospital, unit in data.expected:
        if reg != registry or event != "pathology_diagnosis" or not _month(day, data.months):
            continue
        if day > last_due or case_id in answered:
            continue
        hit = any(when >= day for when in received.get(patient, [])) or case_id in by_reminder
        cells.add(
            indicator,
            "proportion",
            data.places(unit, hospital),
            (_month(day, data.months), "12m"),
            hit,
        )
