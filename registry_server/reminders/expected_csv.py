"""Reading an expected-case notifications file (CSV) strictly, with every problem named.

The first line names the columns (any order, any letter case):
`patient_id` or `case_id` (one of them per row, both columns may be present), `patient_name`,
`registry`, `event`, `event_date`, `hospital_code`, `source`, and optionally `department`.
UTF-8 with or without a byte-order mark; `,` or `;` between cells (Norwegian Excel writes
`;`). Dates as YYYY-MM-DD (DD.MM.YYYY, as Norwegian Excel shows them, is read too). A file with
any bad row is refused whole: `read_expected_csv` raises `ExpectedFileError` listing every
problem by line and column, so the sender corrects the file once and imports it again.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass

from desktop_app.forms import Catalogue, identity_number_problem, message_text
from desktop_app.forms.identity import birth_date_of
from desktop_app.forms.text import fill
from desktop_app.reminder_rules import ReminderRules
from registry_server.reminders.expected import ExpectedCaseIn

IDENTITY_COLUMNS = ("patient_id", "case_id")
REQUIRED_COLUMNS = (
    "patient_name",
    "registry",
    "event",
    "event_date",
    "hospital_code",
    "source",
)
OPTIONAL_COLUMNS = ("department",)
KNOWN_COLUMNS = IDENTITY_COLUMNS + REQUIRED_COLUMNS + OPTIONAL_COLUMNS
_CASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]{0,39}$")
_NORWEGIAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
MAX_NAME = 200


@dataclass(frozen=True)
class Problem:
    line: int | None  # line of the file (1: the header); None: the whole file
    column: str | None
    text: str  # what is wrong and what to do

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.text}" if where else self.text


class ExpectedFileError(Exception):
    """The file was not imported; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the notifications file")
        self.problems = problems


def read_expected_csv(
    data: bytes, *, catalogue: Catalogue, rules: ReminderRules, today: datetime.date
) -> list[ExpectedCaseIn]:
    """Every row as an `ExpectedCaseIn`, or ExpectedFileError with all the problems."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ExpectedFileError(
            [
                Problem(
                    line,
                    None,
                    "the file is not UTF-8 text. Save it as UTF-8 (in Excel: Save as, "
                    '"CSV UTF-8 (comma delimited)") and import it again.',
                )
            ]
        ) from None
    lines = text.splitlines()
    header_line = next((line for line in lines if line.strip()), "")
    if not header_line:
        raise ExpectedFileError([Problem(None, None, _EMPTY)])
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    checker = _RowChecker(catalogue, rules, today)
    header: list[str] | None = None
    cases: list[ExpectedCaseIn] = []
    problems: list[Problem] = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # blank lines (often at the end of an Excel export)
            if header is None:
                header = [cell.strip().lower() for cell in row]
                problems += _header_problems(header, reader.line_num)
                if problems:
                    raise ExpectedFileError(problems)
                continue
            case = checker.row(header, row, reader.line_num, problems)
            if case is not None:
                cases.append(case)
    except csv.Error as error:
        problems.append(
            Problem(
                reader.line_num, None, f"the line cannot be read as CSV ({error}); check its quotes"
            )
        )
    if header is None:
        raise ExpectedFileError([Problem(None, None, _EMPTY)])
    if problems:
        raise ExpectedFileError(problems)
    if not cases:
        raise ExpectedFileError(
            [Problem(None, None, "the file has a header but no notifications; nothing to import")]
        )
    return cases


_EMPTY = (
    "the file is empty. Its first line must name the columns: "
    + ", ".join(("patient_id or case_id", *REQUIRED_COLUMNS))
    + " (and optionally department)"
)


def _header_problems(header: list[str], line: int) -> list[Problem]:
    problems = []
    for name in header:
        if name not in KNOWN_COLUMNS:
            shown = name or "(empty)"
            problems.append(
                Problem(
                    line,
                    shown,
                    f"unknown column {shown!r}; the columns are {', '.join(KNOWN_COLUMNS)}. "
                    "Correct the header's spelling or remove the column",
                )
            )
    for name in sorted(set(header)):
        if name and header.count(name) > 1:
            problems.append(Problem(line, name, "the column is named twice; keep one"))
    for name in REQUIRED_COLUMNS:
        if name not in header:
            problems.append(Problem(line, name, "the column is missing; add it to the header"))
    if not any(name in header for name in IDENTITY_COLUMNS):
        problems.append(
            Problem(
                line,
                "patient_id",
                "the file needs a patient_id column (identity numbers), or a case_id column for "
                "patients without a Norwegian number, or both",
            )
        )
    return problems


class _RowChecker:
    def __init__(self, catalogue: Catalogue, rules: ReminderRules, today: datetime.date) -> None:
        self.today = today
        self.registries = {r.id for r in catalogue.registries()}
        self.hospitals = set(catalogue.code_list("hospitals").codes())
        self.departments = set(catalogue.code_list("departments").codes())
        self.events = rules.events
        self.sources = rules.sources

    def row(
        self, header: list[str], row: list[str], line: int, problems: list[Problem]
    ) -> ExpectedCaseIn | None:
        if len(row) != len(header):
            problems.append(
                Problem(
                    line,
                    None,
                    f"the line has {len(row)} cells but the header has {len(header)}; check the "
                    "separators (a , or ; inside a value must be within double quotes)",
                )
            )
            return None
        cells = {name: cell.strip() for name, cell in zip(header, row, strict=True)}
        before = len(problems)

        def bad(column: str, text: str) -> None:
            problems.append(Problem(line, column, text))

        patient_id, case_id = self._identity(cells, bad)
        name = cells.get("patient_name", "")
        if not name:
            bad("patient_name", "the patient's name is missing; fill it in")
        elif len(name) > MAX_NAME:
            bad("patient_name", f"longer than {MAX_NAME} characters; shorten it")
        registry = cells.get("registry", "").lower()
        if registry not in self.registries:
            bad("registry", _unknown("registry", registry, self.registries))
        event = cells.get("event", "").lower()
        if event not in self.events:
            bad("event", _unknown("event", event, self.events))
        event_date = self._date(cells.get("event_date", ""), bad)
        hospital = self._hospital(cells.get("hospital_code", ""), bad)
        department = cells.get("department", "").lower() or None
        if department is not None and department not in self.departments:
            bad("department", _unknown("department", department, self.departments))
        source = cells.get("source", "").lower()
        if source not in self.sources:
            bad("source", _unknown("source", source, self.sources))
        if len(problems) > before or event_date is None or hospital is None:
            return None
        if patient_id is not None and event_date < birth_date_of(patient_id):
            bad(
                "event_date",
                f"{event_date.isoformat()} is before the patient was born (identity number "
                f"{_masked(patient_id)}); correct the date or the identity number",
            )
            return None
        return ExpectedCaseIn(
            registry=registry,
            event=event,
            event_date=event_date,
            hospital_code=hospital,
            source=source,
            patient_id=patient_id,
            case_id=case_id,
            patient_name=name,
            department=department,
        )

    def _identity(self, cells: Mapping[str, str], bad) -> tuple[str | None, str | None]:  # type: ignore[no-untyped-def]
        patient_id = "".join(cells.get("patient_id", "").split()) or None
        case_id = cells.get("case_id", "") or None
        if patient_id is None and case_id is None:
            bad(
                "patient_id",
                "neither patient_id nor case_id is given; give the identity number, or the "
                "registry case id in case_id for a patient without a Norwegian number",
            )
            return None, None
        if patient_id is not None and case_id is not None:
            bad("case_id", "both patient_id and case_id are given; give only one of them")
            return None, None
        if case_id is not None:
            if not _CASE_ID.match(case_id):
                bad(
                    "case_id",
                    f"{case_id!r} is not a case id: 1-40 letters, digits and . _ / -, "
                    "starting with a letter or digit",
                )
            return None, case_id
        assert patient_id is not None
        problem = identity_number_problem(patient_id, self.today)
        if problem is not None:
            key, params = problem
            text = fill(message_text(key, "en"), params)
            if key == "identity_number.length" and len(patient_id) == 10:
                text += (
                    " A spreadsheet may have dropped a leading 0: format the column as text "
                    "and export the file again."
                )
            # Masked: these lines end up in cron mail and the journal.
            bad("patient_id", f"{_masked(patient_id)} is not a valid identity number. {text}")
        return patient_id, None

    def _date(self, text: str, bad) -> datetime.date | None:  # type: ignore[no-untyped-def]
        day = _parse_date(text)
        if day is None:
            bad(
                "event_date",
                f"{text!r} is not a date; write it as YYYY-MM-DD (or DD.MM.YYYY), e.g. 2026-03-14"
                if text
                else "the date is missing; write it as YYYY-MM-DD",
            )
            return None
        if day > self.today:
            bad(
                "event_date",
                f"{day.isoformat()} is in the future (today is {self.today.isoformat()}); "
                "correct the date",
            )
            return None
        if day.year < 1900:
            bad("event_date", f"{day.isoformat()} is before 1900; correct the date")
            return None
        return day

    def _hospital(self, text: str, bad) -> str | None:  # type: ignore[no-untyped-def]
        code = text
        if code.isdigit() and len(code) == 3 and "0" + code in self.hospitals:
            code = "0" + code  # a spreadsheet dropped the leading 0 of e.g. 0320
        if code not in self.hospitals:
            bad(
                "hospital_code",
                f"{text!r} is not a hospital code of resources/codelists/hospitals.json; use "
                "the four-digit code, e.g. 0320"
                if text
                else "the hospital code is missing; use the four-digit code, e.g. 0320",
            )
            return None
        return code


def _masked(number: str) -> str:
    """An identity number as problems show it: the first six characters (the birth date of a
    valid one), the rest as *****, so the file's line and column find it and the output does
    not identify the patient."""
    return f"{number[:6]}*****"


def _parse_date(text: str) -> datetime.date | None:
    if len(text) == 10 and text[4] == "-":
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            return None
    match = _NORWEGIAN_DATE.match(text)
    if match:
        try:
            return datetime.date(int(match[3]), int(match[2]), int(match[1]))
        except ValueError:
            return None
    return None


def _unknown(what: str, value: str, known: object) -> str:
    names = ", ".join(sorted(known))  # type: ignore[call-overload]
    if not value:
        return f"the {what} is missing; use one of: {names}"
    return f"unknown {what} {value!r}; use one of: {names}"
