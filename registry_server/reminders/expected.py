"""Expected cases: notifications the registry gets from outside the clinical messages
(pathology reports, procedure codes from the hospitals' patient administration), stored once
each and routed to the unit that reports the case.

    from registry_server.reminders.expected import ExpectedCaseIn, insert_expected_cases

    with session_factory.begin() as session:
        result = insert_expected_cases(session, cases)      # thousands per second, no commit

Routing: a case goes to a unit at its hospital whose `Unit.registries` (JSON list) names the
case's registry; when the case names a department, a unit of that department is preferred;
among equals the oldest unit (lowest id) wins, so the choice is the same on every run. A case
no unit reports for is kept with `unit_id` None and routed later, when a unit starts
reporting to that registry (`route_unrouted`, which the reminder job runs first).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from registry_server.models import ExpectedCase, Unit, utcnow

_CASES: Table = ExpectedCase.__table__  # type: ignore[assignment]
_IN_CHUNK = 500  # keys per "IN (...)" query


@dataclass(frozen=True)
class ExpectedCaseIn:
    """One notification. Exactly one of `patient_id` (a valid 11-digit identity number) and
    `case_id` (the registry's case id for a patient without a Norwegian number)."""

    registry: str
    event: str  # an event of resources/reminder_rules.json, e.g. pathology_diagnosis
    event_date: datetime.date
    hospital_code: str  # resources/codelists/hospitals.json
    source: str  # e.g. pathology, patient_administration
    patient_id: str | None = None
    case_id: str | None = None
    patient_name: str | None = None
    department: str | None = None  # resources/codelists/departments.json

    def __post_init__(self) -> None:
        if (self.patient_id is None) == (self.case_id is None):
            raise ValueError("An expected case needs exactly one of patient_id and case_id.")

    @property
    def dedup_key(self) -> str:
        """The same notification imported twice is stored once."""
        who = self.patient_id if self.patient_id is not None else f"case:{self.case_id}"
        text = "|".join(
            (self.registry, self.event, self.event_date.isoformat(), who, self.hospital_code)
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class InsertResult:
    received: int = 0  # cases given
    inserted: int = 0  # new cases stored
    duplicates: int = 0  # already stored (or twice in the input)
    routed: int = 0  # new cases given to a unit
    unrouted: int = 0  # new cases no unit at their hospital reports for
    # (hospital_code, registry) -> new cases left unrouted there
    unrouted_at: Counter[tuple[str, str]] = field(default_factory=Counter)
    import_id: str = ""

    def to_dict(self) -> dict:
        return {
            "received": self.received,
            "inserted": self.inserted,
            "duplicates": self.duplicates,
            "routed": self.routed,
            "unrouted": self.unrouted,
            "unrouted_at": [
                {"hospital_code": h, "registry": r, "cases": n}
                for (h, r), n in sorted(self.unrouted_at.items())
            ],
            "import_id": self.import_id,
        }


class UnitRouter:
    """Which unit reports a registry's cases at a hospital (all units read once)."""

    def __init__(self, session: Session) -> None:
        self._units: dict[tuple[str, str], list[tuple[int, str]]] = {}
        rows = session.execute(
            select(Unit.id, Unit.hospital_code, Unit.department, Unit.registries).order_by(Unit.id)
        )
        for unit_id, hospital, department, registries in rows:
            for registry in _registry_list(registries):
                self._units.setdefault((hospital, registry), []).append((unit_id, department))

    def route(self, hospital_code: str, registry: str, department: str | None = None) -> int | None:
        units = self._units.get((hospital_code, registry))
        if not units:
            return None
        if department:
            for unit_id, unit_department in units:
                if unit_department == department:
                    return unit_id
        return units[0][0]


def insert_expected_cases(
    session: Session,
    cases: Iterable[ExpectedCaseIn],
    *,
    import_id: str | None = None,
    now: datetime.datetime | None = None,
) -> InsertResult:
    """Store the cases not stored yet (by `dedup_key`), each routed to its unit, in the
    caller's transaction (the caller commits). Multi-row inserts: a national year (~7,000
    cases) takes well under a second on SQLite."""
    result = InsertResult(import_id=import_id or str(uuid.uuid4()))
    fresh: dict[str, ExpectedCaseIn] = {}
    for case in cases:
        result.received += 1
        fresh.setdefault(case.dedup_key, case)
    for known in _stored_keys(session, list(fresh)):
        del fresh[known]
    result.duplicates = result.received - len(fresh)
    if not fresh:
        return result
    router = UnitRouter(session)
    imported_at = now or utcnow()
    rows = []
    for key, case in fresh.items():
        unit_id = router.route(case.hospital_code, case.registry, case.department)
        if unit_id is None:
            result.unrouted += 1
            result.unrouted_at[(case.hospital_code, case.registry)] += 1
        else:
            result.routed += 1
        rows.append(
            {
                "dedup_key": key,
                "registry": case.registry,
                "event": case.event,
                "event_date": case.event_date,
                "patient_id": case.patient_id,
                "case_id": case.case_id,
                "patient_name": case.patient_name,
                "hospital_code": case.hospital_code,
                "department": case.department,
                "source": case.source,
                "unit_id": unit_id,
                "imported_at": imported_at,
                "import_id": result.import_id,
            }
        )
    session.execute(insert(_CASES), rows)
    result.inserted = len(rows)
    return result


def route_unrouted(session: Session) -> int:
    """Give unrouted cases to a unit that now reports for them (a unit's registries set after
    the import); how many were routed. In the caller's transaction."""
    waiting = session.execute(
        select(
            ExpectedCase.id,
            ExpectedCase.hospital_code,
            ExpectedCase.registry_code,
            ExpectedCase.department,
        ).where(ExpectedCase.unit_id.is_(None))
    ).all()
    if not waiting:
        return 0
    router = UnitRouter(session)
    routed = [
        {"b_id": case_id, "b_unit": unit_id}
        for case_id, hospital, registry, department in waiting
        if (unit_id := router.route(hospital, registry, department)) is not None
    ]
    if routed:
        session.execute(
            update(_CASES)
            .where(_CASES.c.id == bindparam("b_id"))
            .values(unit_id=bindparam("b_unit")),
            routed,
        )
    return len(routed)


def _stored_keys(session: Session, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), _IN_CHUNK):
        chunk = keys[start : start + _IN_CHUNK]
        found.update(
            session.scalars(select(ExpectedCase.dedup_key).where(ExpectedCase.dedup_key.in_(chunk)))
        )
    return found


def _registry_list(text: str | None) -> list[str]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return [r for r in value if isinstance(r, str)] if isinstance(value, list) else []
