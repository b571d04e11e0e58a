"""Exporting the page's registry as CSV and PDF through its buttons and the (window-modal) file
dialog; the files are read back (csv module, pypdf)."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from .statistics_page import FETCHED_AT, offline_session, offline_settings, open_statistics
from .statistics_payload import MONTHS, small_payload

pytestmark = pytest.mark.gui


def _page(qtbot, make_services, data_dir: Path, language: str = "en"):
    services = make_services(offline_settings(data_dir, language))
    session = offline_session(services)
    services.cache.statistics.save(session.username, small_payload(), FETCHED_AT)
    return open_statistics(qtbot, services, session)[1]


def _save_through_dialog(qtbot, view, button, name: str, target: Path) -> Path:
    button.click()
    # The one just opened (a dialog closed before is deleted later, by the event loop).
    dialogs = [d for d in view.findChildren(QFileDialog, name) if d.isVisible()]
    assert len(dialogs) == 1
    dialog = dialogs[0]
    assert dialog.windowModality() == Qt.WindowModality.WindowModal
    assert dialog.acceptMode() == QFileDialog.AcceptMode.AcceptSave
    with qtbot.waitSignal(view.exported, timeout=15000) as saved:
        dialog.selectFile(str(target))
        dialog.accept()
    assert Path(saved.args[0]) == target
    assert str(target) in view.notice.text()
    return target


def _pdf_text(path: Path) -> str:
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    return unicodedata.normalize("NFKC", text)


def test_csv_export_has_a_row_per_indicator_level_and_period_with_the_target(
    qtbot, make_services, tmp_path
):
    view = _page(qtbot, make_services, tmp_path / "client")
    dialog_name = "exportCsvDialog"
    view.csv_button.click()
    offered = view.findChild(QFileDialog, dialog_name)
    assert Path(offered.selectedFiles()[0]).name == "statistics-breast-2026-12-05.csv"
    offered.reject()

    target = _save_through_dialog(qtbot, view, view.csv_button, dialog_name, tmp_path / "out.csv")
    with target.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))

    assert {r["registry"] for r in rows} == {"breast"}
    per_indicator = {}
    for r in rows:
        per_indicator[r["indicator"]] = per_indicator.get(r["indicator"], 0) + 1
    # 4 levels for the period + 3 levels x 12 months (+ one row per hospital).
    assert per_indicator == {
        "breast.messages_received": 40,
        "breast.coverage": 40,
        "breast.bcs_0_30": 40,
        "breast.mri_neoadjuvant": 40,
        "breast.referral_to_surgery": 4,
        "breast.operations_per_hospital": 8,
    }
    period = "2025-12-01/2026-11-30"
    unit = next(
        r
        for r in rows
        if r["indicator"] == "breast.bcs_0_30" and r["level"] == "unit" and r["period"] == period
    )
    assert {k: unit[k] for k in ("n", "numerator", "value", "suppressed")} == {
        "n": "40",
        "numerator": "34",
        "value": "85",
        "suppressed": "0",
    }
    assert (unit["target_min"], unit["target_goal"], unit["target_direction"]) == (
        "85",
        "90",
        "higher",
    )
    assert unit["title"] == "Breast-conserving surgery, 0-30 mm"
    assert unit["as_of"] == "2026-12-05"
    feb = next(
        r
        for r in rows
        if r["indicator"] == "breast.bcs_0_30" and r["level"] == "unit" and r["period"] == MONTHS[2]
    )
    assert (feb["suppressed"], feb["n"], feb["value"]) == ("1", "", "")
    region = next(
        r
        for r in rows
        if r["indicator"] == "breast.bcs_0_30" and r["level"] == "region" and r["period"] == period
    )
    assert (region["area"], region["area_name"], region["value"]) == ("1", "Helse Sør-Øst", "88.2")
    hospitals = {
        r["area"]: (r["value"], r["suppressed"]) for r in rows if r["level"] == "by_hospital"
    }
    assert hospitals == {
        "1305": ("293", "0"),
        "0320": ("157", "0"),
        "0601": ("", "1"),
        "1601": ("", "0"),
    }
    days = next(r for r in rows if r["indicator"] == "breast.referral_to_surgery")
    assert (days["value"], days["target_min"], days["target_direction"]) == ("27", "32", "lower")


def test_csv_export_follows_the_registry_chosen(qtbot, make_services, tmp_path):
    view = _page(qtbot, make_services, tmp_path / "client")
    view.registry_box.setCurrentIndex(view.registry_box.findData("lymphoid"))
    target = _save_through_dialog(
        qtbot, view, view.csv_button, "exportCsvDialog", tmp_path / "lymphoid.csv"
    )
    with target.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["registry"] for r in rows} == {"lymphoid"}
    by_region = {r["area"]: r["value"] for r in rows if r["level"] == "by_region"}
    assert by_region == {"1": "17", "2": "22", "4": ""}


def test_pdf_export_names_the_registry_unit_figures_and_suppressed_cells(
    qtbot, make_services, tmp_path
):
    view = _page(qtbot, make_services, tmp_path / "client")
    target = _save_through_dialog(
        qtbot, view, view.pdf_button, "exportPdfDialog", tmp_path / "stats.pdf"
    )
    assert target.read_bytes().startswith(b"%PDF")
    text = _pdf_text(target)
    assert "Statistics: Breast cancer" in text
    assert "Breast and endocrine surgery" in text
    assert "As of 2026-12-05" in text
    assert "Breast-conserving surgery, 0-30 mm" in text
    assert "85.0 %" in text and "34 / 40" in text
    assert "at least 85 % (goal 90 %)" in text
    assert "fewer than 5 cases" in text  # MRI before neoadjuvant treatment, the unit
    assert "Haukeland universitetssjukehus" in text  # the breakdown by hospital
    assert "Lymphoid" not in text  # only the registry on screen


def test_pdf_export_in_norwegian_uses_its_formats(qtbot, make_services, tmp_path):
    view = _page(qtbot, make_services, tmp_path / "client", language="nb")
    target = _save_through_dialog(
        qtbot, view, view.pdf_button, "exportPdfDialog", tmp_path / "statistikk.pdf"
    )
    text = _pdf_text(target)
    assert "05.12.2026" in text
    assert "85,0 %" in text
    assert "Brystbevarende kirurgi, 0-30 mm" in text
