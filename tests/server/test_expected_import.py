"""`registry-server import-expected`: a good file is imported once (however often it is run),
a bad one is refused whole with every problem named by line and column."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from desktop_app.forms import generate_identity_number
from registry_server.models import ExpectedCase
from registry_server.reminders.expected_csv import ExpectedFileError, read_expected_csv
from tests.server.helpers import catalogue
from tests.support.live_server import LiveServer

from .reminder_support import (
    COLUMNS,
    RULES,
    case_row,
    csv_bytes,
    import_rows,
    patient,
    report_to,
    rule_reminders,
)

TODAY = datetime.date(2026, 3, 1)
REPO = Path(__file__).resolve().parents[2]


def _read(data: bytes) -> list:
    return read_expected_csv(data, catalogue=catalogue(), rules=RULES, today=TODAY)


def _problems(data: bytes) -> list[str]:
    with pytest.raises(ExpectedFileError) as caught:
        _read(data)
    return [str(p) for p in caught.value.problems]


def _row(**changes: str) -> dict[str, str]:
    row = case_row(
        registry="breast",
        event="pathology_diagnosis",
        event_date="2026-02-01",
        patient_id=patient("import"),
    )
    row.update(changes)
    return row


def _count(server: LiveServer) -> int:
    with server.session_factory() as session:
        return session.scalar(select(func.count()).select_from(ExpectedCase)) or 0


def test_a_good_file_is_read_in_any_of_the_usual_spreadsheet_shapes() -> None:
    d_number = generate_identity_number(
        __import__("random").Random(5), datetime.date(1970, 5, 17), kind="d"
    )
    rows = [
        _row(),
        _row(patient_id=d_number, department="surgery"),  # D-numbers are valid
        _row(patient_id="", case_id="KRG-2026-17", patient_name="Fiktiv, Uten Nummer"),
    ]
    for delimiter in (",", ";"):
        for bom in (False, True):
            cases = _read(csv_bytes(rows, delimiter=delimiter, bom=bom))
            assert [c.patient_id for c in cases] == [rows[0]["patient_id"], d_number, None]
            assert cases[2].case_id == "KRG-2026-17"
            assert cases[1].department == "surgery"
            assert {c.event_date for c in cases} == {datetime.date(2026, 2, 1)}
    # As Norwegian Excel writes them: ; between cells, DD.MM.YYYY, leading zeros dropped.
    excel = csv_bytes([_row(event_date="01.02.2026", hospital_code="320")], delimiter=";")
    (case,) = _read(excel)
    assert (case.event_date, case.hospital_code) == (datetime.date(2026, 2, 1), "0320")
    # Only the columns a file needs; any order, any letter case.
    columns = [
        "EVENT_DATE",
        "Registry",
        "patient_id",
        "patient_name",
        "event",
        "source",
        "hospital_code",
    ]
    text = (
        ",".join(columns)
        + "\n2026-02-01,breast,"
        + rows[0]["patient_id"]
        + (',"Fiktiv, Kari",pathology_diagnosis,pathology,0320\n\n')
    )
    (case,) = _read(text.encode())
    assert case.patient_name == "Fiktiv, Kari"


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            [_row(patient_id="12345678901")],
            "line 2, column patient_id: 123456***** is not a "
            "valid identity number. The check digits do not match",
        ),
        (
            [_row(patient_id=patient("import", born=datetime.date(1970, 1, 5))[1:])],
            "A spreadsheet may have dropped a leading 0",
        ),
        (
            [_row(patient_id="", case_id="")],
            "line 2, column patient_id: neither patient_id nor case_id is given",
        ),
        ([_row(case_id="KRG-1")], "line 2, column case_id: both patient_id and case_id are given"),
        (
            [_row(hospital_code="9999")],
            "line 2, column hospital_code: '9999' is not a hospital code",
        ),
        (
            [_row(registry="brest")],
            "line 2, column registry: unknown registry 'brest'; use one of: bladder, breast",
        ),
        ([_row(event="diagnosis")], "line 2, column event: unknown event 'diagnosis'"),
        ([_row(source="lab")], "line 2, column source: unknown source 'lab'"),
        ([_row(department="ward 3")], "line 2, column department: unknown department"),
        (
            [_row(event_date="2026-03-02")],
            "line 2, column event_date: 2026-03-02 is in the future (today is 2026-03-01)",
        ),
        (
            [_row(event_date="2026-02-30")],
            "line 2, column event_date: '2026-02-30' is not a date; write it as YYYY-MM-DD",
        ),
        ([_row(patient_name="")], "line 2, column patient_name: the patient's name is missing"),
        (
            [
                _row(
                    patient_id=patient("baby", born=datetime.date(2020, 5, 5)),
                    event_date="2019-10-01",
                )
            ],
            "line 2, column event_date: 2019-10-01 is before the patient was born",
        ),
        ([_row(), _row(patient_id="1")], "line 3, column patient_id: 1***** is not a valid"),
    ],
)
def test_a_bad_row_is_named_by_line_and_column(rows: list, expected: str) -> None:
    problems = _problems(csv_bytes(rows))
    assert any(expected in p for p in problems), problems


def test_an_invalid_identity_number_is_masked_in_the_problem() -> None:
    """Problems go to stderr, so to cron mail and the journal: never the whole number."""
    valid = patient("masked")
    wrong_check = valid[:9] + str((int(valid[9]) + 1) % 10) + valid[10]
    problems = _problems(csv_bytes([_row(), _row(patient_id=wrong_check)]))
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"line 3, column patient_id: {wrong_check[:6]}***** is not")
    assert wrong_check not in problems[0] and wrong_check[6:] not in problems[0]


def test_a_file_with_several_bad_rows_lists_every_problem() -> None:
    rows = [_row(), _row(patient_id="1"), _row(), _row(registry="x", event_date="tomorrow")]
    problems = _problems(csv_bytes(rows))
    assert [p.split(":")[0] for p in problems] == [
        "line 3, column patient_id",
        "line 5, column registry",
        "line 5, column event_date",
    ]


def test_a_bad_header_or_file_is_explained() -> None:
    no_source = [c for c in COLUMNS if c != "source"]
    assert "line 1, column source: the column is missing; add it to the header" in _problems(
        csv_bytes([_row()], columns=no_source)
    )
    no_identity = [c for c in COLUMNS if c not in ("patient_id", "case_id")]
    assert any(
        p.startswith("line 1, column patient_id: the file needs a patient_id column")
        for p in _problems(csv_bytes([_row()], columns=no_identity))
    )
    typo = csv_bytes([_row()]).replace(b"hospital_code", b"hospitalcode", 1)
    assert any("unknown column 'hospitalcode'" in p for p in _problems(typo))
    assert _problems(b"")[0].startswith("the file is empty")
    latin1 = csv_bytes([_row(patient_name="Ærlig, Øystein")]).decode().encode("latin-1")
    assert "the file is not UTF-8 text" in _problems(latin1)[0]
    ragged = csv_bytes([_row()]) + b"a,b\n"
    assert any(
        p.startswith("line 3: the line has 2 cells but the header has 9") for p in _problems(ragged)
    )


def test_importing_twice_stores_each_notification_once(
    live_server: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report_to(live_server, ["breast"])
    rows = [_row(), _row(patient_id=patient("second")), _row(hospital_code="1608")]
    assert import_rows(live_server, tmp_path, rows, today=TODAY) == 0
    first = capsys.readouterr().out
    assert "3 notification(s); 3 imported, 0 already imported" in first
    assert "1 of the new ones are not routed" in first
    assert "hospital 1608, registry breast: 1" in first
    assert import_rows(live_server, tmp_path, [*rows, _row()], today=TODAY) == 0
    assert "4 notification(s); 0 imported, 4 already imported" in capsys.readouterr().out
    assert _count(live_server) == 3


def test_a_bad_file_imports_nothing(
    live_server: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [_row(), _row(patient_id=patient("x"), hospital_code="12")]
    assert import_rows(live_server, tmp_path, rows, today=TODAY) == 1
    err = capsys.readouterr().err
    assert "was not imported: 1 problem(s). Nothing from the file was stored" in err
    assert "line 3, column hospital_code: '12' is not a hospital code" in err
    assert _count(live_server) == 0


def test_the_real_command_imports_then_computes_the_reminders(
    live_server: LiveServer, tmp_path: Path
) -> None:
    report_to(live_server)
    good = tmp_path / "pathology.csv"
    patient_id = patient("subprocess")
    good.write_bytes(
        csv_bytes([_row(patient_id=patient_id, event_date="2025-12-01")], delimiter=";", bom=True)
    )
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([_row(patient_id="01017012345"), _row(event_date="2027-01-01")]))
    base = [sys.executable, "-m", "registry_server", "import-expected"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    db = ["--database-url", live_server.database_url, "--today", TODAY.isoformat()]

    refused = subprocess.run(
        [*base, str(bad), *db], capture_output=True, text=True, env=env, cwd=REPO, timeout=120
    )
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert "line 2, column patient_id: 010170***** is not a valid identity number" in (
        refused.stderr
    )
    assert "01017012345" not in refused.stderr + refused.stdout  # cron mail, the journal
    assert "line 3, column event_date: 2027-01-01 is in the future" in refused.stderr
    assert _count(live_server) == 0

    done = subprocess.run(
        [*base, str(good), *db, "--run-jobs"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "1 notification(s); 1 imported" in done.stdout
    assert "Reminders computed for 2026-03-01: 1 new" in done.stdout
    assert [r.rule_id for r in rule_reminders(live_server, patient_id=patient_id)] == [
        "breast.assessment_after_pathology"
    ]

    missing = subprocess.run(
        [*base, str(tmp_path / "nowhere.csv"), *db],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )
    assert missing.returncode == 1
    assert "cannot be read" in missing.stderr and "Traceback" not in missing.stderr


def test_check_only_says_what_it_found_and_imports_nothing(
    live_server: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [_row(), _row(patient_id=patient("check"))]
    assert import_rows(live_server, tmp_path, rows, today=TODAY, extra=["--check"]) == 0
    assert "2 notification(s), no problems found. Nothing was imported." in (
        capsys.readouterr().out
    )
    assert _count(live_server) == 0
