"""Printable receipts: the lines shared by PDF and Qt printing, and the PDF itself (reportlab)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCode
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

TITLE = "Receipt for message to the Cancer Registry"
HASH_LABEL = "Body SHA-256"


class ReceiptLike(Protocol):
    """The fields of ``local_cache``'s ReceiptRecord that a printed receipt shows."""

    receipt_id: str
    message_id: str
    registry: str
    form: str
    version: int
    received_at: str
    body_sha256: str
    unit_id: Any
    stored_at: datetime


def _when(value: datetime | str | None) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value or ""


class ReceiptNames(Protocol):
    """Display names for a receipt's ids (``ui.models.names.CatalogueNames`` is one)."""

    def registry(self, registry: str) -> str: ...
    def form(self, registry: str, form: str, version: int | None = None) -> str: ...


def _named(name: str | None, ident: object) -> str:
    """ "Name (id)": the name for the reader, the id so the receipt matches the registry's."""
    ident = str(ident)
    return f"{name} ({ident})" if name and name != ident else ident


def receipt_lines(
    receipt: ReceiptLike, names: ReceiptNames | None = None, unit_name: str | None = None
) -> list[tuple[str, str]]:
    """(label, value) pairs in print order; with `names` (and `unit_name`) the registry, form
    and unit are shown by name, each followed by its id."""
    registry = names.registry(receipt.registry) if names else None
    form = names.form(receipt.registry, receipt.form, receipt.version) if names else None
    return [
        ("Receipt ID", str(receipt.receipt_id)),
        ("Message ID", str(receipt.message_id)),
        ("Registry", _named(registry, receipt.registry)),
        (
            "Form",
            _named(form, f"{receipt.form}, version {receipt.version}" if form else receipt.form),
        ),
        ("Form version", str(receipt.version)),
        ("Received by the registry at", _when(receipt.received_at)),
        (HASH_LABEL, str(receipt.body_sha256)),
        ("Unit", _named(unit_name, receipt.unit_id)),
        ("Stored on this computer at", _when(receipt.stored_at)),
    ]


def qr_payload(receipt: ReceiptLike) -> str:
    """What the QR code holds: enough to look the receipt up and check the message's hash."""
    return f"registry-receipt:{receipt.receipt_id};sha256:{receipt.body_sha256}"


def write_receipt_pdf(
    receipt: ReceiptLike,
    path: Path,
    names: ReceiptNames | None = None,
    unit_name: str | None = None,
) -> Path:
    """The receipt as an A4 PDF at `path` (folders made as needed); names as receipt_lines."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    mono = ParagraphStyle("mono", parent=body, fontName="Courier", fontSize=8, leading=10)
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=TITLE,
        subject=f"Receipt {receipt.receipt_id}",
        author="registry-desktop",
        creator="registry-desktop",
    )
    rows = [
        [
            Paragraph(escape(label), body),
            Paragraph(escape(value), mono if label == HASH_LABEL else body),
        ]
        for label, value in receipt_lines(receipt, names, unit_name)
    ]
    table = Table(rows, colWidths=[55 * mm, doc.width - 55 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -2), 0.25, colors.lightgrey),
            ]
        )
    )
    story: list[Flowable] = [
        Paragraph(TITLE, styles["Title"]),
        Spacer(1, 6 * mm),
        table,
        Spacer(1, 6 * mm),
        Paragraph(
            "The SHA-256 above is computed over the exact message that was sent. "
            "The QR code holds the receipt ID and this hash.",
            body,
        ),
        Spacer(1, 4 * mm),
        QrCode(qr_payload(receipt), width=40 * mm, height=40 * mm, qrLevel="M"),
    ]
    doc.build(story)
    return path
