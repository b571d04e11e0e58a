"""What the registry-specific generators share: synthetic patients, the common envelope,
report dates (some late, some never), and the lists of messages sent and notifications made.

Every draw comes from a `random.Random` seeded by the registry and the day, so the same day
gives the same demo on every fresh database. Names are obviously synthetic ("Kari Demo
Testesen") and identity numbers are made by `generate_identity_number`, never real.
"""

from __future__ import annotations

import datetime
import math
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from desktop_app.forms import (
    Catalogue,
    FormDefinition,
    evaluate_condition,
    evaluate_expression,
    generate_identity_number,
)
from registry_server.demo.units import DemoUnit
from registry_server.reminders.expected import ExpectedCaseIn

_FIRST_F = (
    "Kari", "Ingrid", "Anne", "Liv", "Sigrid", "Berit", "Marit", "Hilde", "Solveig", "Astrid",
    "Ragnhild", "Tone", "Nina", "Eva", "Ida", "Nora", "Emma", "Sara", "Maja", "Tuva",
)  # fmt: skip
_FIRST_M = (
    "Ola", "Per", "Nils", "Hans", "Knut", "Lars", "Jon", "Arne", "Bjørn", "Erik", "Odd",
    "Geir", "Tor", "Jonas", "Emil", "Lucas", "Filip", "Aksel", "Magnus", "Henrik",
)  # fmt: skip
_SURNAMES = (
    "Testesen", "Fiktivsen", "Prøvesen", "Demodatter", "Eksempelsen", "Oppdiktet", "Datasen",
    "Syntetisk", "Liksomsen", "Plassholder", "Tenktsen", "Modellsen",
)  # fmt: skip


@dataclass(frozen=True)
class Patient:
    patient_id: str
    name: str
    born: datetime.date
    sex: str  # "F" or "M"

    def age_on(self, day: datetime.date) -> int:
        return day.year - self.born.year - ((day.month, day.day) < (self.born.month, self.born.day))


@dataclass
class Sent:
    unit: DemoUnit
    body: dict[str, Any]
    received_at: datetime.datetime


@dataclass
class DemoYear:
    """The day, the catalogue, the units, and everything made so far."""

    catalogue: Catalogue
    today: datetime.date
    units: list[DemoUnit]
    region_of: dict[str, str]  # hospital code -> region code
    sent: list[Sent] = field(default_factory=list)
    notified: list[ExpectedCaseIn] = field(default_factory=list)
    _ids: set[str] = field(default_factory=set)

    # Draws ---------------------------------------------------------------------------------

    def rng(self, registry: str) -> random.Random:
        return random.Random(f"demo-national:{registry}:{self.today.isoformat()}")

    def diagnosis_date(self, rng: random.Random) -> datetime.date:
        """A day in the year up to today (a little over twelve months, so the twelve whole
        months the statistics show are full)."""
        return self.today - datetime.timedelta(days=rng.randint(1, 400))

    def patient(self, rng: random.Random, born: datetime.date, sex: str) -> Patient:
        while True:
            number = generate_identity_number(rng, born, gender=sex)
            if number not in self._ids:
                self._ids.add(number)
                break
        first = rng.choice(_FIRST_F if sex == "F" else _FIRST_M)
        return Patient(number, f"{first} Demo {rng.choice(_SURNAMES)}", born, sex)

    def born(self, rng: random.Random, age: int, on: datetime.date) -> datetime.date:
        """A birth date giving `age` whole years on `on`."""
        return on - datetime.timedelta(days=age * 365 + age // 4 + rng.randint(1, 360))

    @staticmethod
    def lognormal_days(rng: random.Random, median: float, sigma: float = 0.35) -> int:
        return max(0, round(median * math.exp(rng.gauss(0.0, sigma))))

    def report_date(
        self, rng: random.Random, unit: DemoUnit, event: datetime.date, *, missing: float = 0.0
    ) -> datetime.date | None:
        """When the unit reports an event: its usual delay, sometimes weeks or months late;
        None when it is never sent (the unit's missing share plus `missing`) or not yet."""
        habits = unit.habits
        if rng.random() < habits.missing + missing:
            return None
        delay = self.lognormal_days(rng, habits.delay_days, 0.5)
        if rng.random() < habits.late:
            delay += rng.randint(45, 150)
        day = event + datetime.timedelta(days=max(1, delay))
        # Not today: a message is received during office hours, which may be later than now
        # (a receipt "received" in the future), and the year must not depend on the hour.
        return day if day < self.today else None

    @staticmethod
    def pick(rng: random.Random, table: dict[Any, float]) -> Any:
        """A key of `table`, drawn with the values as weights."""
        keys = list(table)
        return rng.choices(keys, weights=[table[k] for k in keys])[0]

    @staticmethod
    def chance(rng: random.Random, p: float) -> bool:
        return rng.random() < min(1.0, max(0.0, p))

    # Units -------------------------------------------------------------------------------

    def unit_at(self, hospital: str, registry: str, department: str | None = None) -> DemoUnit:
        """The unit expected cases of the registry at the hospital go to (as the router in
        registry_server.reminders.expected chooses: the department's unit first)."""
        candidates = [
            u for u in self.units if u.hospital_code == hospital and registry in u.registries
        ]
        if not candidates:
            raise LookupError(f"No demo unit reports {registry} at {hospital}")
        for unit in candidates:
            if unit.department == department:
                return unit
        return candidates[0]

    def weighted_units(self, registry: str) -> dict[DemoUnit, float]:
        return {u: float(u.weights[registry]) for u in self.units if u.weights.get(registry)}

    # Messages and notifications ----------------------------------------------------------

    def envelope(self, unit: DemoUnit, patient: Patient, report: datetime.date) -> dict[str, Any]:
        return {
            "patient_id": patient.patient_id,
            "patient_name": patient.name,
            "region": self.region_of[unit.hospital_code],
            "hospital": unit.hospital_code,
            "department": unit.department,
            "reporter_name": f"Demo Reporter {unit.hospital_code}",
            "reporter_hpr": str(9000000 + int(unit.hospital_code)),
            "report_date": report.isoformat(),
        }

    def send(
        self,
        rng: random.Random,
        unit: DemoUnit,
        definition: FormDefinition,
        patient: Patient,
        report: datetime.date,
        values: dict[str, Any],
        *,
        computed: bool = False,
    ) -> None:
        """A message the unit sent on `report` (its answers with the envelope)."""
        answers = {**self.envelope(unit, patient, report), **values}
        if computed:
            # Computed fields are sent as the client sends them (what submitted_values() adds;
            # computed here directly, as the demo's answers hold only relevant fields).
            for f in definition.fields():
                if f.is_computed and (
                    f.relevant is None or evaluate_condition(f.relevant, answers)
                ):
                    value = evaluate_expression(f.compute or {}, answers)
                    if value is not None:
                        answers[f.id] = value
        received = datetime.datetime.combine(
            report, datetime.time(rng.randint(7, 14), rng.randint(0, 59)), datetime.UTC
        )
        body = {
            "message_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "registry": definition.registry,
            "form": definition.form,
            "version": definition.version,
            "values": answers,
        }
        self.sent.append(Sent(unit, body, received))

    @staticmethod
    def _computed(expr: Mapping[str, Any], answers: dict[str, Any], patient: Patient) -> Any:
        # The age from the birth date the number was made from (what age_at() reads from the
        # number, without checking the number again).
        spec = expr.get("age_at")
        if spec is not None and spec.get("identity_field") == "patient_id":
            day = answers.get(spec["date_field"])
            return patient.age_on(datetime.date.fromisoformat(day)) if day else None
        return evaluate_expression(expr, answers)

    def notify(
        self,
        registry: str,
        event: str,
        day: datetime.date,
        unit: DemoUnit,
        patient: Patient,
        source: str,
    ) -> None:
        """An expected-case notification (pathology, patient administration, ...)."""
        if day > self.today:
            return  # not happened yet
        self.notified.append(
            ExpectedCaseIn(
                registry=registry,
                event=event,
                event_date=day,
                hospital_code=unit.hospital_code,
                source=source,
                patient_id=patient.patient_id,
                patient_name=patient.name,
                department=unit.department,
            )
        )
