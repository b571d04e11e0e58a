"""Reading the statistics answer into typed objects, the target's verdict, and the core's CSV
and PDF writers on an answer of realistic size (no Qt)."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from desktop_app.statistics import Cell, StatisticsWording, Target, parse_statistics
from desktop_app.statistics.csv_export import COLUMNS, write_statistics_csv
from desktop_app.statistics.pdf_export import write_statistics_pdf
from desktop_app.statistics.sample import sample_statistics


def test_cells_target_and_period_are_read():
    report = parse_statistics(sample_statistics(date(2026, 12, 5)))
    assert report.as_of == date(2026, 12, 5)
    assert (report.period_from, report.period_to) == (date(2025, 12, 1), date(2026, 11, 30))
    assert report.computed_at == datetime(2026, 12, 6, 2, 0, 3, tzinfo=UTC)
    assert [r.registry for r in report.registries] == ["breast", "lymphoid", "childhood", "sarcoma"]
    breast = report.registry("breast")
    bcs = breast.indicator("breast.bcs_0_30")
    assert bcs.target == Target(85.0, 90.0, "higher")
    assert [p.month for p in bcs.trend][:2] == ["2025-12", "2026-01"]
    assert len(bcs.trend) == 12
    hospitals = breast.indicator("breast.operations_per_hospital").by_hospital
    assert len(hospitals) == 62
    assert any(h.cell.suppressed for h in hospitals)
    assert report.unit.region_name == "Helse Sør-Øst"


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


def test_default_registry_is_the_one_the_unit_reports_most_to():
    payload = sample_statistics()
    payload["registries"].reverse()  # order of the answer does not decide
    assert parse_statistics(payload).default_registry() == "breast"
    assert parse_statistics({"registries": []}).default_registry() is None


def test_wording_of_values_targets_and_cells():
    report = parse_statistics(sample_statistics())
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


def test_csv_of_a_full_registry_reads_back(tmp_path):
    report = parse_statistics(sample_statistics())
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
    tmp_path,
):
    report = parse_statistics(sample_statistics())
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
    assert fractions, "the sample has percentages with decimals"
    assert values["nb"] == [v.replace(".", ",") for v in values["en"]]
    assert not any("." in v for v in values["nb"])


def test_pdf_of_a_full_registry_has_every_indicator(tmp_path):
    report = parse_statistics(sample_statistics())
    path = write_statistics_pdf(
        report, "breast", "Breast cancer", tmp_path / "b.pdf", fetched_at=datetime.now(UTC)
    )
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    for indicator in report.registry("breast").indicators:
        assert indicator.title_text("en") in text
    assert "Administrative figures" in text and "Clinical quality indicators" in text
    assert "By hospital" in text
