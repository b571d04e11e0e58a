"""Printing a receipt: the very PDF bytes ``desktop_app.receipts.pdf`` makes, drawn on the
printer with QtPdf (PySide6-Addons), so paper and saved file come from one renderer.

Each page is rendered to an image at the printer's resolution (at most ``MAX_DPI``: enough for
text and a QR code that scans, and an A4 page stays ~35 MB in memory rather than ~550 MB at
1200 dpi) and drawn on the whole sheet, scaled to fit with its proportions kept (A4 on Letter).
The PDF has its own margins, wider than any printer's unprintable edge.

Runs off the GUI thread: QPainter may paint on a QPrinter from a worker (Qt's threading
rules), and the QPdfDocument is made, used and dropped on that worker. QtPdf is imported here,
only when something is first printed.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QSize
from PySide6.QtGui import QPainter
from PySide6.QtPrintSupport import QPrinter

MAX_DPI = 300


class PrintError(Exception):
    """The PDF could not be loaded or the printer could not be started."""


def print_pdf(data: bytes, printer: QPrinter, max_dpi: int = MAX_DPI) -> int:
    """Draw every page of the PDF `data` on `printer`; returns the number of pages."""
    from PySide6.QtPdf import QPdfDocument

    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    try:
        document.load(buffer)
        if document.status() != QPdfDocument.Status.Ready or document.pageCount() < 1:
            raise PrintError(f"the receipt PDF could not be read ({document.error().name})")
        pages = document.pageCount()
        printer.setFullPage(True)  # our own margins, from the PDF
        dpi = max(72, min(printer.resolution(), max_dpi))
        painter = QPainter()
        if not painter.begin(printer):
            raise PrintError("the printer could not be started")
        try:
            for page in range(pages):
                if page:
                    printer.newPage()
                size = document.pagePointSize(page)
                image = document.render(
                    page, QSize(round(size.width() / 72 * dpi), round(size.height() / 72 * dpi))
                )
                painter.drawImage(_fitted(image.width(), image.height(), printer), image)
        finally:
            painter.end()
        return pages
    finally:
        document.close()
        buffer.close()


def _fitted(width: int, height: int, printer: QPrinter) -> QRectF:
    """The sheet's area for an image of this shape: as large as fits, proportions kept,
    centred across and at the top."""
    sheet_w, sheet_h = printer.width(), printer.height()
    scale = min(sheet_w / width, sheet_h / height)
    w, h = width * scale, height * scale
    return QRectF((sheet_w - w) / 2, 0, w, h)
