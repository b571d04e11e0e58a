"""Reading the statistics answer into typed objects, the target's verdict, and the core's CSV
and PDF writers (no Qt), on the answers the real statistics job gives the demo users on a
national demo year."""

from __future__ import annotations

import copy
import csv
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pypdf import PdfReader

from desktop_app.statistics import Cell, StatisticsWording, Target, parse_statistics
from desktop_app.statistics.csv_export import COLUMNS, write_statistics_csv
from desktop_app.statistics.pdf_export import write_statistics_pdf
from registry_server.demo.statistics_answers import demo_statistics_answers

AS_OF = date(2026, 12, 6)


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return demo_statistics_answers(tmp_path_factory.mktemp("national"), AS_OF)


@pytest.fixture
def bergen(answers) -> dict[str, Any]:
    """The oncology unit's answer: breast, lymphoid and sarcoma (a copy the test may change)."""
    return copy.deepcopy(answers["bergen"])


def test_cells_target_and_period_are_read(bergen):
    report = parse_statistics(bergen)
    assert report.as_of == AS_OF
    assert (report.period_from, report.period_to) == (date(2025, 12, 1), date(2026, 11, 30))
    assert isinstance(report.computed_at, datetime) and report.computed_at.tzinfo is not None
    assert [r.registry for r in report.registries] == ["breast", "lymphoid", "sarcoma"]
    breast = report.registry("breast")
    bcs = breast.indicator("breast.bcs_0_30")
    assert bcs.target == Target(85.0, 90.0, "higher")
    assert [p.month for p in bcs.trend][:2] == ["2025-12", "2026-01"]
    assert len(bcs.trend) == 12
    raw = next(i for i in bergen["registries"][0]["indicators"] if i["by_hospital"])
    hospitals = breast.indicator("breast.operations_per_hospital").by_hospital
    assert [(h.code, h.cell.n) for h in hospitals] == [
        (h["hospital_code"], h["cell"].get("n")) for h in raw["by_hospital"]
    ]
    assert report.unit.region_name == "Helse Vest"


def test_a_damaged_or_partial_answer_reads_as_no_data_not_an_error():
    report = parse_statistics(
        {
            "as_of": "not a date",
            "registries": [
                {"registry": "breast", "indicators": [{"id": "x", "values": {"unit": 5}}]},
                "junk",
                {"indicators": []},
            ],
            "unit": None,
            "period": None,
        }
    )
    assert report.as_of is None and report.is_empty
    assert [r.registry for r in report.registries] == ["breast"]
    assert report.registry("breast").indicators[0].value("unit") == Cell()
    assert parse_statistics(None).is_empty
    assert parse_statistics({"as_of": None, "registries": []}).is_empty


def test_suppressed_and_empty_cells():
    assert Cell.from_json({"suppressed": True}) == Cell(suppressed=True)
    assert not Cell.from_json({"suppressed": True}).has_value
    empty = Cell.from_json({"n": 0, "value": None})
    assert (empty.n, empty.has_value) == (0, False)
    assert Cell.from_json({"n": 9, "numerator": 3, "value": 33.3}).has_value


@pytest.mark.parametrize(
    ("target", "value", "status"),
    [
        (Target(85, 90, "higher"), 91.0, "goal"),
        (Target(85, 90, "higher"), 87.0, "min"),
        (Target(85, 90, "higher"), 80.0, "below"),
        (Target(40, None, "higher"), 40.0, "goal"),
        (Target(40, None, "higher"), 39.9, "below"),
        (Target(32, None, "lower"), 30.0, "goal"),
        (Target(32, None, "lower"), 33.0, "below"),
        (Target(60, 30, "lower"), 45.0, "min"),
        (Target(85, 90, "higher"), None, None),
    ],
)
def test_target_status(target, value, status):
    assert target.status(value) == status


def test_default_registry_is_the_one_the_unit_reports_most_to(bergen):
    def received(block: dict) -> int:
        counted = next(i for i in block["indicators"] if i["id"].endswith(".messages_received"))
        return counted["values"]["unit"].get("n") or 0

    most = max(bergen["registries"], key=received)["registry"]
    bergen["registries"].reverse()  # order of the answer does not decide
    assert parse_statistics(bergen).default_registry() == most
    assert parse_statistics({"registries": []}).default_registry() is None


def test_wording_of_values_targets_and_cells(bergen):
    report = parse_statistics(bergen)
    w = StatisticsWording()
    bcs = report.registry("breast").indicator("breast.bcs_0_30")
    days = report.registry("breast").indicator("breast.referral_to_surgery")
    assert w.measure(85.25, bcs) == "85.2 %"
    assert w.target(bcs.target, bcs) == "at least 85 % (goal 90 %)"
    assert w.target(bcs.target, bcs, short=True) == "≥ 85 % (90 %)"
    assert w.target(days.target, days) == "at most 32 days"
    assert w.cell(Cell(suppressed=True), bcs, 5) == "fewer than 5 cases"
    assert w.cell(Cell(n=0), bcs, 5) == "no cases"
    assert w.cases(Cell(n=1200, numerator=1000, value=83.3)) == "1,000 / 1,200"


def test_csv_of_a_full_registry_reads_back(tmp_path, bergen):
    report = parse_statistics(bergen)
    path = write_statistics_csv(report, "lymphoid", tmp_path / "lymphoid.csv", "nb")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read UTF-8
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f, delimiter=";")  # as Norwegian Excel splits it
        rows = list(reader)
    assert tuple(reader.fieldnames) == COLUMNS
    lymphoid = report.registry("lymphoid")
    by_region = sum(len(i.by_region or []) for i in lymphoid.indicators)
    assert len(rows) == len(lymphoid.indicators) * (4 + 3 * 12) + by_region
    rt = [r for r in rows if r["indicator"] == "lymphoid.radiotherapy_use"]
    assert rt[0]["title"] == "Bruk av strålebehandling"
    assert {r["level"] for r in rt} == {"unit", "hospital", "region", "nation", "by_region"}
    for row in rows:  # a suppressed cell says nothing but that it is suppressed
        if row["suppressed"] == "1":
            assert row["n"] == row["numerator"] == row["value"] == ""


def test_csv_in_norwegian_has_semicolons_and_decimal_commas_in_english_commas_and_dots(
    tmp_path, bergen
):
    report = parse_statistics(bergen)
    values = {}
    for lang, delimiter in (("nb", ";"), ("en", ",")):
        path = write_statistics_csv(report, "breast", tmp_path / f"{lang}.csv", lang)
        with path.open(encoding="utf-8-sig", newline="") as f:
            header = f.readline().rstrip("\r\n")
            f.seek(0)
            rows = list(csv.DictReader(f, delimiter=delimiter))
        assert header == delimiter.join(COLUMNS)
        values[lang] = [r["value"] for r in rows if r["unit_of_measure"] == "percent"]
    fractions = [v for v in values["en"] if "." in v]
    assert fractions, "the answer has percentages with decimals"
    assert values["nb"] == [v.replace(".", ",") for v in values["en"]]
    assert not any("." in v for v in values["nb"])


def test_pdf_of_a_full_registry_has_every_indicator(tmp_path, bergen):
    report = parse_statistics(bergen)
    path = write_statistics_pdf(
        report, "breast", "Breast cancer", tmp_path / "b.pdf", fetched_at=datetime.now(UTC)
    )
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    for indicator in report.registry("breast").indicators:
        assert indicator.title_text("en") in text
    assert "Administrative figures" in text and "Clinical quality indicators" in text
    assert "By hospital" in text
