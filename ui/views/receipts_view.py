"""Receipts: the registry's confirmations, saved as PDF or printed.

The PDF (reportlab) and the printed page (Qt) show the same lines, from
``desktop_app.receipt_pdf.receipt_lines``.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

from PySide6.QtCore import QDir, Qt, Signal
from PySide6.QtGui import QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from desktop_app.receipt_pdf import TITLE, ReceiptNames, receipt_lines, write_receipt_pdf
from ui.models.receipts_model import ReceiptsModel
from ui.views.common import ListPage
from ui.workers import run_in_background

log = logging.getLogger(__name__)


def receipt_document(
    receipt, names: ReceiptNames | None = None, unit_name: str | None = None
) -> QTextDocument:
    """The printable receipt as a Qt text document (same lines as the PDF)."""
    rows = "".join(
        f"<tr><td><b>{html.escape(label)}</b></td><td>{html.escape(value)}</td></tr>"
        for label, value in receipt_lines(receipt, names, unit_name)
    )
    document = QTextDocument()
    document.setHtml(
        f'<h2>{html.escape(TITLE)}</h2><table cellspacing="0" cellpadding="4">{rows}</table>'
    )
    return document


def default_pdf_name(receipt) -> str:
    return f"receipt-{receipt.receipt_id}.pdf"


class ReceiptsView(ListPage):
    statusMessage = Signal(str)
    pdfSaved = Signal(str)  # path

    def __init__(
        self,
        model: ReceiptsModel,
        parent: QWidget | None = None,
        *,
        names: ReceiptNames | None = None,
        unit: dict | None = None,
    ) -> None:
        # Registry and form by name on the printed receipt; the unit's name too, since the
        # registry only sends receipts for the user's own unit.
        self._names = names
        self._unit = unit or {}
        super().__init__(
            model,
            table_name="receiptsTable",
            sort_column=ReceiptsModel.COL_RECEIVED,
            order=Qt.SortOrder.DescendingOrder,
            parent=parent,
        )
        self.title_label.setText(self.tr("Receipts"))
        self.save_button = self.add_button(self.tr("Save &PDF…"), self.ask_save_pdf)
        self.print_button = self.add_button(self.tr("P&rint…"), self.ask_print)
        self._update_state()

    # -- PDF ------------------------------------------------------------------------------

    def ask_save_pdf(self) -> None:
        receipt = self.table.selected_row()
        if receipt is None:
            return
        dialog = QFileDialog(
            self,
            self.tr("Save receipt as PDF"),
            str(Path(QDir.homePath()) / default_pdf_name(receipt)),
            self.tr("PDF files (*.pdf)"),
        )
        dialog.setObjectName("savePdfDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("pdf")
        dialog.fileSelected.connect(lambda path: self.save_pdf(receipt, Path(path)))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()  # window-modal, without blocking the event loop

    def save_pdf(self, receipt, path: Path) -> None:
        """Write the receipt's PDF in the background and report where it went."""
        run_in_background(
            lambda: write_receipt_pdf(receipt, path, self._names, self._unit_name(receipt)),
            self._pdf_saved,
            lambda error: self._pdf_failed(path, error),
            parent=self,
        )

    def _pdf_saved(self, path: Path) -> None:
        # The full path on the page (it can be long, and copied from there); the file name in
        # the status bar, which has little room next to its permanent fields.
        self.show_notice(self.tr("Receipt saved as {0}").format(path))
        self.statusMessage.emit(self.tr("Receipt saved: {0}").format(Path(path).name))
        self.pdfSaved.emit(str(path))

    def _pdf_failed(self, path: Path, error: BaseException) -> None:
        log.error("Saving a receipt PDF failed: %s", type(error).__name__)
        QMessageBox.warning(
            self,
            self.tr("Receipt not saved"),
            self.tr("The receipt could not be saved as {0} ({1}). Choose another folder.").format(
                path, error
            ),
        )

    # -- printing -------------------------------------------------------------------------

    def ask_print(self) -> None:
        receipt = self.table.selected_row()
        if receipt is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(default_pdf_name(receipt).removesuffix(".pdf"))
        dialog = QPrintDialog(printer, self)
        dialog.setObjectName("printDialog")
        dialog.setWindowTitle(self.tr("Print receipt"))
        # The printer must live as long as the dialog; the lambda holds it.
        dialog.accepted.connect(lambda: self.print_receipt(receipt, printer))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def print_receipt(self, receipt, printer: QPrinter) -> None:
        receipt_document(receipt, self._names, self._unit_name(receipt)).print_(printer)
        self.statusMessage.emit(
            self.tr("Receipt {0} sent to the printer.").format(receipt.receipt_id)
        )

    def _unit_name(self, receipt) -> str | None:
        if str(self._unit.get("id")) != str(receipt.unit_id):
            return None
        return self._unit.get("name") or None

    def _update_state(self, *_args: object) -> None:
        selected = self.table.selected_row() is not None
        self.save_button.setEnabled(selected)
        self.print_button.setEnabled(selected)
        count = self.model.rowCount()
        self.summary.setText(
            self.tr("No receipts yet. A receipt appears here once the registry has a report.")
            if count == 0
            else self.tr(
                "%n receipt(s). Each confirms that the registry received a report unchanged.",
                "",
                count,
            )
        )
