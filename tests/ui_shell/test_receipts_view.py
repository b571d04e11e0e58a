"""Receipts from the real server: listed with the patient from this computer's copy and the
signature's verdict, saved as PDF through the file dialog, and printed through the system print
dialog (the same PDF, drawn by QtPdf) -- and the printed page's QR code verifies."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QComboBox, QFileDialog, QLineEdit

from desktop_app.receipt_signature import qr_text
from tests.support.receipt_checks import qr_codes_in_pdf, verify_receipt
from ui.main_window import MainWindow
from ui.models.table_model import WARNING_COLOUR

from .conftest import queue_valid_report

pytestmark = pytest.mark.gui


@pytest.fixture
def window_with_receipt(qtbot, services, user, session) -> MainWindow:
    queue_valid_report(user)
    user.start_sync()
    window = MainWindow(services, user)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.receipts_model.rowCount() == 1, timeout=10000)
    window.show_page(MainWindow.RECEIPTS)
    return window


def _pdf_text(path: Path) -> str:
    """The PDF's text with ligatures undone (Qt sets "ff" as one glyph) and no whitespace."""
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    return "".join(unicodedata.normalize("NFKC", text).split())


def test_receipt_row_shows_patient_form_received_signature_and_hash(
    window_with_receipt, services, user, session
):
    model = window_with_receipt.receipts_model
    receipt = user.cache.receipts.list(session.username)[0]
    values = user.cache.messages.get(receipt.message_id).values
    cell = lambda column, role=Qt.ItemDataRole.DisplayRole: model.data(  # noqa: E731
        model.index(0, column), role
    )
    # The patient from this computer's own copy: birth date part of the number, and the name.
    assert cell(model.COL_PATIENT) == f"{values['patient_id'][:6]}***** {values['patient_name']}"
    assert values["patient_id"] not in cell(model.COL_PATIENT)
    # The form once (its title names the registry), with its version.
    assert cell(model.COL_FORM) == f"Breast cancer – assessment (v{receipt.version})"
    # The demo server's key: valid, but in the warning colour and said to prove nothing.
    assert cell(model.COL_SIGNATURE) == "Valid, but signed with the public DEMO key"
    assert cell(model.COL_SIGNATURE, Qt.ItemDataRole.ForegroundRole) == WARNING_COLOUR
    tip = cell(model.COL_SIGNATURE, Qt.ItemDataRole.ToolTipRole)
    assert receipt.raw["key_id"] in tip
    assert tip.startswith(
        "Valid, but signed with the public DEMO key: proves nothing outside a demonstration."
    )
    summary = window_with_receipt.receipts_view.summary.text()
    assert "1 receipt(s) are signed with the public DEMO key" in summary
    assert "could not be verified" not in summary
    assert cell(model.COL_HASH) == receipt.body_sha256[:12]
    assert cell(model.COL_RECEIPT_ID) == receipt.receipt_id
    assert receipt.verdict == "valid" and receipt.origin == "this_pc"
    assert WARNING_COLOUR.isValid()


def test_save_pdf_through_the_dialog_writes_a_file_naming_the_receipt(
    qtbot, window_with_receipt, services, user, tmp_path
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
    # The patient, in full on the filed receipt, from this computer's copy of the message.
    values = user.cache.messages.get(receipt.message_id).values
    assert values["patient_id"] in text
    assert "".join(values["patient_name"].split()) in text
    assert PdfReader(target).metadata["/Keywords"] == qr_text(receipt.record.to_dict())
    # The full path on the page (the status bar only has room for the file name).
    assert view.notice.isVisible() and str(target) in view.notice.text()
    assert window_with_receipt.status.currentMessage() == "Receipt saved: my-receipt.pdf"


def test_print_opens_the_system_dialog_and_prints_a_page_whose_code_verifies(
    qtbot, window_with_receipt, tmp_path
) -> None:
    view = window_with_receipt.receipts_view
    view.table.selectRow(0)
    receipt = view.table.selected_row()

    view.print_button.click()  # used to raise TypeError (QPrintDialog.open) on PySide6 6.11
    dialog = view.findChild(QPrintDialog, "printDialog")
    assert dialog is not None and dialog.isVisible()
    assert dialog.windowModality() == Qt.WindowModality.WindowModal
    # As a user choosing "print to file" would: the PDF printer (the only one offscreen, where
    # there is no CUPS), a file name, then OK.
    printers = dialog.findChild(QComboBox, "printers")
    assert printers.currentText() == "Print to File (PDF)"
    printed = tmp_path / "printed.pdf"
    dialog.findChild(QLineEdit, "filename").setText(str(printed))
    printer = dialog.printer()
    with qtbot.waitSignal(view.printed, timeout=20000) as done:
        dialog.accept()
    assert printer.outputFormat() == QPrinter.OutputFormat.PdfFormat
    assert done.args == [receipt.receipt_id]
    assert window_with_receipt.status.currentMessage() == (
        f"Receipt {receipt.receipt_id} sent to the printer."
    )

    # The printed page is the PDF drawn as an image: scan it, and check what the code says.
    [code] = qr_codes_in_pdf(printed, tmp_path / "scan")
    assert code == qr_text(receipt.record.to_dict())
    scanned = tmp_path / "scanned-code.txt"
    scanned.write_text(code + "\n", encoding="utf-8")
    result = verify_receipt(scanned, tmp_path / "no-client-data")
    assert result.status == 3, result  # valid, but only with the public demo key
    assert result.out.startswith("VALID, BUT SIGNED WITH THE PUBLIC DEMO KEY ")
    assert f": receipt {receipt.receipt_id} for Breast cancer" in result.out
    allowed = verify_receipt(scanned, tmp_path / "no-client-data", "--allow-demo-key")
    assert (allowed.status, allowed.out) == (0, result.out)
    assert not (tmp_path / "no-client-data").exists()  # read-only: nothing made
