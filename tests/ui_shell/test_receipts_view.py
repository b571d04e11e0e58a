"""Receipts from the real server, saved as PDF through the file dialog, and printed."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QFileDialog

from ui.main_window import MainWindow

from .conftest import queue_valid_report

pytestmark = pytest.mark.gui


@pytest.fixture
def window_with_receipt(qtbot, services, session) -> MainWindow:
    queue_valid_report(services, session.username)
    window = MainWindow(services, session, services.start_sync(session))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.receipts_model.rowCount() == 1, timeout=10000)
    window.show_page(MainWindow.RECEIPTS)
    return window


def _pdf_text(path: Path) -> str:
    """The PDF's text with ligatures undone (Qt sets "ff" as one glyph) and no whitespace."""
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    return "".join(unicodedata.normalize("NFKC", text).split())


def test_receipt_row_shows_id_form_and_hash_prefix(window_with_receipt, services, session):
    model = window_with_receipt.receipts_model
    receipt = services.cache.receipts.list(session.username)[0]
    assert model.data(model.index(0, model.COL_RECEIPT_ID)) == receipt.receipt_id
    assert model.data(model.index(0, model.COL_HASH)) == receipt.body_sha256[:12]
    assert model.data(model.index(0, model.COL_FORM)).startswith("Breast cancer / ")


def test_save_pdf_through_the_dialog_writes_a_file_naming_the_receipt(
    qtbot, window_with_receipt, tmp_path
) -> None:
    view = window_with_receipt.receipts_view
    assert not view.save_button.isEnabled()  # nothing selected yet
    view.table.selectRow(0)
    receipt = view.table.selected_row()
    view.save_button.click()
    dialog = view.findChild(QFileDialog, "savePdfDialog")
    assert dialog is not None and dialog.isVisible()
    assert Path(dialog.selectedFiles()[0]).name == f"receipt-{receipt.receipt_id}.pdf"

    target = tmp_path / "out" / "my-receipt.pdf"
    target.parent.mkdir()
    with qtbot.waitSignal(view.pdfSaved, timeout=10000) as saved:
        dialog.selectFile(str(target))
        dialog.accept()
    assert Path(saved.args[0]) == target
    text = _pdf_text(target)
    assert receipt.receipt_id in text
    # Names for the reader, ids to match the registry's records ("Breast cancer (breast)").
    assert "Breastcancer(breast)" in text
    assert "Breastandendocrinesurgery" in text  # the demo user's unit, by name
    # The full path on the page (the status bar only has room for the file name).
    assert view.notice.isVisible() and str(target) in view.notice.text()
    assert window_with_receipt.status.currentMessage() == "Receipt saved: my-receipt.pdf"


def test_print_uses_the_same_lines_as_the_pdf(window_with_receipt, tmp_path) -> None:
    view = window_with_receipt.receipts_view
    view.table.selectRow(0)
    receipt = view.table.selected_row()
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    view.print_receipt(receipt, printer)
    text = _pdf_text(tmp_path / "printed.pdf")
    assert receipt.receipt_id in text
    assert receipt.body_sha256 in text
    assert "Breastcancer–assessment" in text
