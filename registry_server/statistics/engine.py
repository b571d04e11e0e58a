"""The computation itself: inputs and indicators in, cells out. No database here.

A *case* (basis "cases") is one patient in one registry: the patient's messages linked by
identity number, the earliest received message of each form standing for that form. A
message without a Norwegian number is a case of its own. The case belongs to the unit that
sent its anchor message, that unit's hospital, the hospital's region and the nation.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

from desktop_app.forms import Catalogue, evaluate_condition, gender_of
from registry_server.local_time import local_date
from registry_server.statistics.cells import TWELVE_MONTHS, Accumulator, CellRow, Window
from registry_server.statistics.expressions import Expression
from registry_server.statistics.indicators import RECEIVED_DATE, Indicator
from registry_server.statistics.inputs import (
    Inputs,
    StoredExpected,
    StoredMessage,
    StoredReminder,
)


class Case:
    """One patient's first message of each form in one registry."""

    __slots__ = ("_sex", "catalogue", "forms", "patient_id")

    def __init__(self, patient_id: str | None, catalogue: Catalogue) -> None:
        self.patient_id = patient_id
        self.catalogue = catalogue
        self.forms: dict[str, StoredMessage] = {}
        self._sex: str | bool | None = False  # False: not read yet

    def get(self, key: str) -> Any:
        """`<form>.<field>`, `<form>.received_date` or `patient.sex`; None when absent."""
        if key == "patient.sex":
            if self._sex is False:
                self._sex = _sex(self.patient_id)
            return self._sex
        form, name = _split(key)
        message = self.forms.get(form)
        if message is None:
            return None
        if name == RECEIVED_DATE:
            return message.received_date
        return message.values(self.catalogue).get(name)


@lru_cache(maxsize=4096)
def _split(key: str) -> tuple[str, str]:
    form, _, name = key.partition(".")
    return form, name


class _Scope:
    """What one indicator's conditions read for one case: its derived names (computed when
    first read, so a case the population rules out early costs little) and the case."""

    __slots__ = ("case", "derived", "expressions")

    def __init__(self, case: Case, expressions: dict[str, Expression]) -> None:
        self.case = case
        self.expressions = expressions
        self.derived: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        if key in self.expressions:
            if key not in self.derived:
                self.derived[key] = self.expressions[key](self, self.case.patient_id)
            value = self.derived[key]
        else:
            value = self.case.get(key)
        return default if value is None else value


def _sex(patient_id: str | None) -> str | None:
    if not patient_id:
        return None
    try:
        return gender_of(patient_id)
    except (ValueError, IndexError):
        return None


class Linker:
    """The cases of each registry, made once and shared by its indicators."""

    def __init__(self, messages: Sequence[StoredMessage], catalogue: Catalogue) -> None:
        # registry -> patient key -> case; messages come oldest first, so the first one kept
        # for a form is its earliest.
        self._cases: dict[str, dict[object, Case]] = defaultdict(dict)
        for message in messages:
            key = message.patient_id or ("message", message.message_id)
            case = self._cases[message.registry].get(key)
            if case is None:
                case = self._cases[message.registry][key] = Case(message.patient_id, catalogue)
            case.forms.setdefault(message.form, message)

    def cases(self, registry: str, anchor: str) -> Iterator[Case]:
        for case in self._cases.get(registry, {}).values():
            if anchor in case.forms:
                yield case


def compute_cells(
    inputs: Inputs,
    indicators: Sequence[Indicator],
    catalogue: Catalogue,
    window: Window,
    today: datetime.date,
) -> list[CellRow]:
    linker = Linker(inputs.messages, catalogue)
    matches = _Matches(inputs)
    by_registry = _ByRegistry(inputs)
    rows: list[CellRow] = []
    for indicator in indicators:
        acc = Accumulator(indicator.registry, indicator.id, indicator.kind)
        basis = indicator.basis.kind
        if basis == "messages":
            _messages(acc, indicator, inputs, window, by_registry)
        elif basis == "reminders":
            _reminders(acc, indicator, inputs, window, today, by_registry)
        elif basis == "expected":
            _expected(acc, indicator, inputs, window, matches, by_registry, today)
        else:
            _cases(acc, indicator, inputs, window, linker)
        rows.extend(acc.rows())
    return rows


class _ByRegistry:
    def __init__(self, inputs: Inputs) -> None:
        self.messages: dict[str, list[StoredMessage]] = defaultdict(list)
        self.expected: dict[str, list[StoredExpected]] = defaultdict(list)
        self.reminders: dict[str, list[StoredReminder]] = defaultdict(list)
        for message in inputs.messages:
            self.messages[message.registry].append(message)
        for case in inputs.expected:
            self.expected[case.registry].append(case)
        for reminder in inputs.reminders:
            self.reminders[reminder.registry].append(reminder)


def _messages(
    acc: Accumulator, indicator: Indicator, inputs: Inputs, window: Window, by: _ByRegistry
) -> None:
    for message in by.messages[indicator.registry]:
        month = window.month_of(local_date(message.received_at))
        if month:
            acc.add(inputs.places.keys(message.unit_id), (month, TWELVE_MONTHS))


def _reminders(
    acc: Accumulator,
    indicator: Indicator,
    inputs: Inputs,
    window: Window,
    today: datetime.date,
    by: _ByRegistry,
) -> None:
    overdue_only = indicator.basis.state == "overdue"
    for reminder in by.reminders[indicator.registry]:
        if not reminder.open:
            continue
        if overdue_only and not reminder.due_date < today:
            continue
        # As of the run: every open one counts in the twelve months; the trend places it by
        # the month of its event.
        month = window.month_of(reminder.event_date or reminder.due_date)
        periods = (TWELVE_MONTHS, month) if month else (TWELVE_MONTHS,)
        acc.add(inputs.places.keys(reminder.unit_id), periods)


class _Matches:
    """Which expected cases have a message of a form: same patient in the registry, received
    on or after the case's event (an older message is about an earlier illness), or a message
    made from a reminder on the case; and which cases the unit answered as not its own."""

    def __init__(self, inputs: Inputs) -> None:
        case_of_reminder = {r.id: r.expected_case_id for r in inputs.reminders}
        # (registry, form, patient) -> the local day the newest such message was received
        self.latest: dict[tuple[str, str, str], str] = {}
        self.by_case: set[tuple[int, str]] = set()
        for message in inputs.messages:
            if message.patient_id:
                key = (message.registry, message.form, message.patient_id)
                day = message.received_date
                if day > self.latest.get(key, ""):
                    self.latest[key] = day
            case_id = case_of_reminder.get(message.reminder_id or "")
            if case_id is not None:
                self.by_case.add((case_id, message.form))
        self.answered = {
            r.expected_case_id
            for r in inputs.reminders
            if r.answered and r.expected_case_id is not None
        }

    def matched(self, case: StoredExpected, form: str) -> bool:
        if case.patient_id:
            latest = self.latest.get((case.registry, form, case.patient_id))
            if latest is not None and latest >= case.event_date.isoformat():
                return True
        return (case.id, form) in self.by_case


def _expected(
    acc: Accumulator,
    indicator: Indicator,
    inputs: Inputs,
    window: Window,
    matches: _Matches,
    by: _ByRegistry,
    today: datetime.date,
) -> None:
    event, form = indicator.basis.event, indicator.basis.form
    assert form is not None
    # A case is counted once its message is due: before that, "not yet" is not "missing".
    due_before = today - datetime.timedelta(days=indicator.basis.grace_days)
    for case in by.expected[indicator.registry]:
        if case.event != event or case.event_date > due_before or case.id in matches.answered:
            continue
        month = window.month_of(case.event_date)
        if not month:
            continue
        hit = matches.matched(case, form)
        acc.add(inputs.places.keys(case.unit_id, case.hospital_code), (month, TWELVE_MONTHS), hit)


def _cases(
    acc: Accumulator, indicator: Indicator, inputs: Inputs, window: Window, linker: Linker
) -> None:
    anchor = indicator.basis.anchor
    assert anchor is not None and indicator.month is not None
    population, numerator = indicator.population, indicator.numerator
    assert population is not None
    expressions = dict(indicator.derive)
    for case in linker.cases(indicator.registry, anchor):
        scope = _Scope(case, expressions)
        month = window.month_of(scope.get(indicator.month))
        if not month or not evaluate_condition(population, scope):  # type: ignore[arg-type]
            continue
        keys = inputs.places.keys(case.forms[anchor].unit_id)
        if indicator.kind == "proportion":
            assert numerator is not None
            hit = evaluate_condition(numerator, scope)  # type: ignore[arg-type]
            acc.add(keys, (month, TWELVE_MONTHS), hit=hit)
        elif indicator.kind == "median_days":
            measure = scope.get(indicator.measure or "")
            if isinstance(measure, int | float) and not isinstance(measure, bool):
                acc.add(keys, (month, TWELVE_MONTHS), measure=measure)
        else:
            acc.add(keys, (month, TWELVE_MONTHS))
