"""The reminder job: expected cases and received messages -> reminders, by the rules in
`resources/reminder_rules.json` (`desktop_app.reminder_rules`).

For each rule and each trigger (an expected case routed to a unit, or a received message of
the rule's trigger form whose condition holds), once `remind_after_days` have passed since the
trigger's date, the unit gets a reminder for the rule's form unless a matching message from
the unit is already there. A matching message: the same unit, registry, form and patient_id,
received (the registry's local date, Europe/Oslo) on or after the trigger's clinical date -
the expected case's `event_date`, or for a message trigger the rule's `date_field` value
(e.g. the assessment's diagnosis_date, the surgery's surgery_date, the first treatment line's
start). So a surgery message that came before a late assessment still answers it, and a
message about an earlier cancer years before does not answer a new one. A reminder is made
once per rule, trigger and unit (`Reminder.dedup_key`), so running the job again, or for an
earlier day, adds nothing.

Fast on a national year (~7,000 cases, ~20,000 messages): the messages are read as one
grouped query of indexed columns; only the bodies of the trigger forms of message-triggered
rules are decoded, and only for triggers that have no reminder yet.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, and_, func, insert, or_, select
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.forms import Catalogue, evaluate_condition
from desktop_app.reminder_rules import ReminderRules, Rule, shipped_rules
from registry_server.models import ExpectedCase, Message, Reminder, utcnow
from registry_server.reminders.expected import route_unrouted
from registry_server.reminders.job_reads import (
    SentIndex,
    by_trigger_form,
    due_cases,
    existing_keys,
    owed_messages,
    sent_index,
    trigger_date,
    trigger_messages,
)
from registry_server.reminders.resolution import Answering, resolve_answered

log = logging.getLogger(__name__)

_REMINDERS: Table = Reminder.__table__  # type: ignore[assignment]
# Messages received this long before the job started are resolved against its new reminders
# too (`_resolve_since`); see there.
RESOLVE_OVERLAP = datetime.timedelta(days=1)


def compute_reminders(
    session_factory: sessionmaker[Session],
    catalogue: Catalogue,
    today: datetime.date,
    rules: ReminderRules | None = None,
) -> dict[str, Any]:
    """Make the reminders due by `today`; a JSON-able summary of what was done."""
    rules = rules or shipped_rules(catalogue)
    started = utcnow()
    with session_factory.begin() as session:
        routed_now = route_unrouted(session)
    with session_factory() as session:
        plan = _Plan(
            rules,
            today,
            existing_keys(session),
            sent_index(session, rules),
            owed_messages(session),
        )
        for rule in rules.event_rules():
            plan.from_cases(rule, due_cases(session, rule, today))
        for (registry, form), group in by_trigger_form(rules.message_rules()).items():
            plan.from_messages(group, trigger_messages(session, catalogue, registry, form))
    with session_factory.begin() as session:
        if plan.rows:
            session.execute(insert(_REMINDERS), plan.rows)
        # A message stored while the job read answers what the job just made. Its received_at
        # is stamped before its transaction commits, so one stamped before `started` may still
        # have been invisible when the index was read: look back a day as well. A miss (a
        # commit slower than that) is repaired by the next run, which looks back as far.
        resolved = _resolve_since(session, started - RESOLVE_OVERLAP)
        open_count, overdue, unrouted = _counts(session, today)
    summary = {
        "created": len(plan.rows),
        "by_rule": dict(sorted(plan.created.items())),
        "already_reminded": plan.counts["already"],
        "already_owed": plan.counts["already_owed"],
        "message_found": plan.counts["matched"],
        "not_yet_due": plan.counts["not_yet"],
        "trigger_bodies_read": plan.counts["bodies"],
        "resolved_during_run": resolved,
        "routed_now": routed_now,
        "unrouted_cases": unrouted,
        "open": open_count,
        "overdue": overdue,
    }
    log.info("Reminders for %s: %d new, %d open", today.isoformat(), len(plan.rows), open_count)
    return summary


def dedup_key(rule_id: str, trigger: str, unit_id: int) -> str:
    """One reminder per rule, trigger ("case:<id>" or "message:<message id>") and unit."""
    return hashlib.sha256(f"{rule_id}|{trigger}|unit:{unit_id}".encode()).hexdigest()


@dataclass
class _Plan:
    rules: ReminderRules
    today: datetime.date
    existing: set[str]
    sent: SentIndex
    # (unit, registry, form, patient) already reminded (open, or answered by the unit): a
    # second rule owing the same message (a procedure code and a planned surgery) adds nothing.
    owed: set[tuple[int, str, str, str]]
    rows: list[dict[str, Any]] = field(default_factory=list)
    created: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    now: datetime.datetime = field(default_factory=utcnow)

    def from_cases(self, rule: Rule, cases: Iterable[Any]) -> None:
        for case in cases:
            if case.event_date + datetime.timedelta(days=rule.remind_after_days) > self.today:
                self.counts["not_yet"] += 1
                continue
            key = dedup_key(rule.id, f"case:{case.id}", case.unit_id)
            if key in self.existing:
                self.counts["already"] += 1
                continue
            if case.patient_id and self._answered(
                (case.unit_id, rule.registry, rule.form, case.patient_id), case.event_date
            ):
                self.counts["matched"] += 1
                continue
            self._add(
                rule,
                key,
                unit_id=case.unit_id,
                patient_id=case.patient_id,
                case_id=case.case_id,
                patient_name=case.patient_name,
                event_date=case.event_date,
                params={"event": rule.event, "source": case.source},
                expected_case_id=case.id,
            )

    def from_messages(self, rules: list[Rule], messages: Iterable[Any]) -> None:
        for message in messages:
            keys = {
                rule.id: dedup_key(rule.id, f"message:{message.message_id}", message.unit_id)
                for rule in rules
            }
            waiting = [rule for rule in rules if keys[rule.id] not in self.existing]
            self.counts["already"] += len(rules) - len(waiting)
            if not waiting:
                continue
            self.counts["bodies"] += 1
            values = message.values()
            for rule in waiting:
                self._from_message(rule, keys[rule.id], message, values)

    def _from_message(self, rule: Rule, key: str, message: Any, values: dict) -> None:
        trigger = rule.message
        assert trigger is not None
        if trigger.condition is not None and not evaluate_condition(trigger.condition, values):
            return
        event_date = trigger_date(values, trigger.date_field, trigger.group)
        if event_date is None:
            return
        if event_date + datetime.timedelta(days=rule.remind_after_days) > self.today:
            self.counts["not_yet"] += 1
            return
        if message.patient_id and self._answered(
            (message.unit_id, rule.registry, rule.form, message.patient_id), event_date
        ):
            self.counts["matched"] += 1
            return
        name = values.get("patient_name")
        self._add(
            rule,
            key,
            unit_id=message.unit_id,
            patient_id=message.patient_id,
            case_id=None,
            patient_name=name if isinstance(name, str) else "",
            event_date=event_date,
            params={},
            trigger_message_id=message.message_id,
        )

    def _answered(self, key: tuple[int, str, str, str], since: datetime.date) -> bool:
        """Whether the unit has a message of the owed form for the patient received on or
        after `since` (the trigger's clinical date)."""
        received = self.sent.get(key)
        return received is not None and received >= since

    def _add(
        self,
        rule: Rule,
        key: str,
        *,
        unit_id: int,
        patient_id: str | None,
        case_id: str | None,
        patient_name: str | None,
        event_date: datetime.date,
        params: dict[str, Any],
        expected_case_id: int | None = None,
        trigger_message_id: str | None = None,
    ) -> None:
        if patient_id:
            owed = (unit_id, rule.registry, rule.form, patient_id)
            if owed in self.owed:
                self.counts["already_owed"] += 1
                return
            self.owed.add(owed)
        due = event_date + datetime.timedelta(days=rule.due_after_days)
        params = {
            **params,
            "event_date": event_date.isoformat(),
            "days": rule.remind_after_days,
            "due_days": rule.due_after_days,
            "due_date": due.isoformat(),
        }
        self.existing.add(key)
        self.created[rule.id] += 1
        self.rows.append(
            {
                "id": str(uuid.uuid4()),
                "unit_id": unit_id,
                "registry": rule.registry,
                "form": rule.form,
                "patient_id": patient_id,
                "case_id": case_id,
                "patient_name": patient_name or "",
                "reason": rule.reason_text(params, "en"),
                "reason_key": rule.reason_key,
                "reason_params": json.dumps(params, sort_keys=True),
                "due_date": due,
                "created_at": self.now,
                "rule_id": rule.id,
                "dedup_key": key,
                "expected_case_id": expected_case_id,
                "trigger_message_id": trigger_message_id,
                "event_date": event_date,
            }
        )


def _resolve_since(session: Session, since: datetime.datetime) -> int:
    """Resolve open reminders answered by messages received since `since` (the job read
    while they arrived, or their commit came late). Such a message was received at most a day
    before the run, so on or after any trigger date of a reminder due by now."""
    messages = session.execute(
        select(
            Message.unit_id,
            Message.registry_code,
            Message.form,
            Message.patient_id,
            Message.reminder_id,
            Message.message_id,
            Message.received_at,
        ).where(
            Message.received_at >= since,
            or_(Message.patient_id.is_not(None), Message.reminder_id.is_not(None)),
        )
    ).all()
    return resolve_answered(session, [Answering(*row) for row in messages])


def _counts(session: Session, today: datetime.date) -> tuple[int, int, int]:
    is_open = and_(Reminder.resolved_at.is_(None), Reminder.answer.is_(None))
    open_count = session.scalar(select(func.count()).select_from(Reminder).where(is_open)) or 0
    overdue = (
        session.scalar(
            select(func.count()).select_from(Reminder).where(is_open, Reminder.due_date < today)
        )
        or 0
    )
    unrouted = (
        session.scalar(
            select(func.count()).select_from(ExpectedCase).where(ExpectedCase.unit_id.is_(None))
        )
        or 0
    )
    return open_count, overdue, unrouted
