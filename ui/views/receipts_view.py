"""Receipts: the registry's signed confirmations, saved as PDF or printed.

One renderer: the PDF (``desktop_app.receipts.pdf``, reportlab) is made off the GUI thread;
printing draws those same bytes on the printer (``ui.receipt_printing``, QtPdf), also off the
GUI thread. The print dialog is the system's, window-modal, opened without a nested event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDir, Qt, Signal
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget

from desktop_app.receipts.keys import demo_key_ids
from desktop_app.receipts.pdf import receipt_pdf_bytes, write_receipt_pdf
from ui.models.names import CatalogueNames
from ui.models.receipts_model import ReceiptsModel
from ui.views.common import ListPage
from ui.workers import run_in_background

log = logging.getLogger(__name__)


def default_pdf_name(receipt: Any) -> str:
    return f"receipt-{receipt.receipt_id}.pdf"


def _record(receipt: Any) -> Any:
    """The cache's ReceiptRecord of a list row (or the record itself)."""
    return getattr(receipt, "record", receipt)


class ReceiptsView(ListPage):
    statusMessage = Signal(str)
    pdfSaved = Signal(str)  # path
    printed = Signal(str)  # receipt id, once its pages are with the printer

    def __init__(
        self,
        model: ReceiptsModel,
        parent: QWidget | None = None,
        *,
        names: CatalogueNames | None = None,
        unit: dict | None = None,
    ) -> None:
        # Registry, form, hospital and department by name on the receipt; the unit's name too,
        # since the registry only sends receipts for the user's own unit.
        self._names = names
        self._unit = unit or {}
        if model.unit_id is None and self._unit.get("id") is not None:
            # Receipts of the unit another user of this computer fetched are listed too.
            model.unit_id = self._unit["id"]
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
        self.table.doubleClicked.connect(lambda _index: self.ask_save_pdf())
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

    def save_pdf(self, receipt: Any, path: Path) -> None:
        """Write the receipt's PDF in the background and report where it went."""
        options = self._pdf_options(receipt)
        run_in_background(
            lambda: write_receipt_pdf(_record(receipt), path, **options()),
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
        self._warn(
            self.tr("Receipt not saved"),
            self.tr("The receipt could not be saved as {0} ({1}). Choose another folder.").format(
                path, error
            ),
        )

    # -- printing -------------------------------------------------------------------------

    def ask_print(self) -> None:
        """The system print dialog, window-modal; printing starts when it is accepted."""
        receipt = self.table.selected_row()
        if receipt is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(default_pdf_name(receipt).removesuffix(".pdf"))
        dialog = QPrintDialog(printer, self)
        dialog.setObjectName("printDialog")
        dialog.setWindowTitle(self.tr("Print receipt"))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        # The printer must live as long as the dialog and the print job; the lambda holds it.
        dialog.accepted.connect(lambda: self.print_receipt(receipt, printer))
        dialog.finished.connect(dialog.deleteLater)
        # PySide6 6.11 binds only QPrintDialog.open(receiver, member), so dialog.open() raises
        # TypeError; QDialog's own open() shows it window-modal without a nested event loop.
        QDialog.open(dialog)

    def print_receipt(self, receipt: Any, printer: QPrinter) -> None:
        """Make the receipt's PDF and draw it on `printer`, both off the GUI thread."""
        from ui.receipt_printing import print_pdf  # QtPdf: imported when first printing

        options = self._pdf_options(receipt)
        record = _record(receipt)
        run_in_background(
            lambda: print_pdf(receipt_pdf_bytes(record, **options()), printer),
            lambda _pages: self._printed(record.receipt_id),
            self._print_failed,
            parent=self,
        )

    def _printed(self, receipt_id: str) -> None:
        self.statusMessage.emit(self.tr("Receipt {0} sent to the printer.").format(receipt_id))
        self.printed.emit(receipt_id)

    def _print_failed(self, error: BaseException) -> None:
        log.error("Printing a receipt failed: %s: %s", type(error).__name__, error)
        self._warn(
            self.tr("Receipt not printed"),
            self.tr(
                "The receipt could not be printed ({0}). Check the printer, or save it as "
                "PDF and print that."
            ).format(error),
        )

    # -- shared ---------------------------------------------------------------------------

    def _warn(self, title: str, text: str) -> None:
        """A window-modal warning that does not block the event loop (no nested exec)."""
        box = QMessageBox(
            QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self
        )
        box.setObjectName("receiptProblem")
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(box.deleteLater)
        box.open()

    def _pdf_options(self, receipt: Any) -> Callable[[], dict[str, Any]]:
        """What the PDF needs besides the receipt, read now (GUI thread) and finished in the
        background (the shipped keys file is read there)."""
        names = self._names
        fixed = {
            "catalogue": names.catalogue if names is not None else None,
            "lang": names.lang if names is not None else "en",
            "viewer": getattr(self.model, "owner", None),
            "unit_name": self._unit_name(receipt),
        }
        return lambda: {**fixed, "demo_key_ids": demo_key_ids()}

    def _unit_name(self, receipt: Any) -> str | None:
        if str(self._unit.get("id")) != str(receipt.unit_id):
            return None
        return self._unit.get("name") or None

    def _update_state(self, *_args: object) -> None:
        selected = self.table.selected_row() is not None
        self.save_button.setEnabled(selected)
        self.print_button.setEnabled(selected)
        rows = self.model.rows
        count = len(rows)
        if count == 0:
            self.summary.setText(
                self.tr("No receipts yet. A receipt appears here once the registry has a report.")
            )
            return
        text = self.tr(
            "%n receipt(s). Each confirms that the registry received a report unchanged.",
            "",
            count,
        )
        failing = sum(1 for row in rows if not row.verified)
        if failing:
            text += " " + self.tr(
                "%n receipt(s) could not be verified: see the Signature column.", "", failing
            )
        demo = sum(1 for row in rows if row.demo_key)
        if demo:
            text += " " + self.tr(
                "%n receipt(s) are signed with the public DEMO key: they prove nothing outside "
                "a demonstration.",
                "",
                demo,
            )
        self.summary.setText(text)
