"""The receipt as a PDF (reportlab): the one renderer for saving and printing.

Printing (ui.receipt_printing) draws these very PDF bytes on the printer with QtPdf, so paper
and file cannot differ.

The QR code holds exactly ``receipt_signature.qr_text(receipt)``. The same text is in the PDF
twice more, so ``registry-desktop verify-receipt FILE.pdf`` reads it without decoding an image:
in the document's Keywords (metadata; read first) and printed small under the code (what a
reader can type in, and what a text extractor finds when the metadata was lost, e.g. after a
"print to PDF" of the file). The code has no whitespace, so line breaks in the printed copy are
dropped when it is read back.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCode
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from desktop_app.forms import Catalogue
from desktop_app.receipts.content import ReceiptContent, ReceiptLike, Section, receipt_content

WARNING = colors.HexColor("#b00020")
RULE = colors.HexColor("#c8c8c8")
LABEL_WIDTH = 50 * mm
QR_SIZE = 48 * mm


def receipt_pdf_bytes(
    receipt: ReceiptLike,
    catalogue: Catalogue | None = None,
    lang: str = "en",
    **options: Any,
) -> bytes:
    """The receipt as an A4 PDF (options as ``receipt_content``: viewer, unit_name,
    demo_key_ids)."""
    return render_pdf(receipt_content(receipt, catalogue, lang, **options))


def write_receipt_pdf(
    receipt: ReceiptLike,
    path: Path,
    catalogue: Catalogue | None = None,
    lang: str = "en",
    **options: Any,
) -> Path:
    """The receipt's PDF at `path` (folders made as needed; written to a temporary file first,
    so a failure never leaves half a PDF under the chosen name)."""
    path = Path(path)
    data = receipt_pdf_bytes(receipt, catalogue, lang, **options)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".receipt-", suffix=".pdf")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def render_pdf(content: ReceiptContent) -> bytes:
    styles = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=content.title,
        subject=_subject(content),
        keywords=content.qr_text or "",
        author="registry-desktop",
        creator="registry-desktop",
        lang=content.lang,
    )
    story: list[Flowable] = [Paragraph(escape(content.title), styles["title"])]
    if content.warning:
        story.append(Paragraph(escape(content.warning), styles["warn"]))
    else:
        story.append(Paragraph(escape(content.intro), styles["body"]))
    story.append(Spacer(1, 3 * mm))
    for section in content.sections:
        story.append(KeepTogether(_section(section, doc.width, styles)))
    story.append(Spacer(1, 5 * mm))
    story.append(KeepTogether([_code_block(content, doc.width, styles)]))
    doc.build(story)
    return buffer.getvalue()


def _subject(content: ReceiptContent) -> str:
    for section in content.sections:
        for line in section.lines:
            if line.mono and len(line.value) == 36:  # the receipt id (a UUID)
                return f"{content.title}: {line.value}"
    return content.title


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontSize=9.5, leading=12.5)
    return {
        "title": ParagraphStyle(
            "title", parent=base["Title"], fontSize=17, leading=21, alignment=0, spaceAfter=4
        ),
        "heading": ParagraphStyle(
            "heading",
            parent=base["Heading3"],
            fontName="Helvetica-Bold",
            fontSize=11,
            leading=14,
            spaceBefore=7,
            spaceAfter=2,
            textColor=colors.HexColor("#1d3557"),
        ),
        "body": body,
        "label": ParagraphStyle("label", parent=body, textColor=colors.HexColor("#404040")),
        "mono": ParagraphStyle("mono", parent=body, fontName="Courier", fontSize=8.5, leading=12.5),
        "warn": ParagraphStyle("warn", parent=body, fontName="Helvetica-Bold", textColor=WARNING),
        "note": ParagraphStyle(
            "note", parent=body, fontSize=8.5, leading=11, textColor=colors.HexColor("#404040")
        ),
        "code": ParagraphStyle(
            "code", parent=body, fontName="Courier", fontSize=6.5, leading=8, splitLongWords=1
        ),
    }


def _section(section: Section, width: float, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    parts: list[Flowable] = [Paragraph(escape(section.title), styles["heading"])]
    if section.lines:
        rows = [
            [
                Paragraph(escape(line.label), styles["label"]),
                Paragraph(
                    escape(line.value),
                    styles["warn" if line.warn else "mono" if line.mono else "body"],
                ),
            ]
            for line in section.lines
        ]
        table = Table(rows, colWidths=[LABEL_WIDTH, width - LABEL_WIDTH], hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                    ("LINEBELOW", (0, 0), (-1, -2), 0.25, RULE),
                ]
            )
        )
        parts.append(table)
    if section.note:
        parts.append(Spacer(1, 1.5 * mm))
        parts.append(Paragraph(escape(section.note), styles["note"]))
    return parts


def _code_block(content: ReceiptContent, width: float, styles: dict[str, ParagraphStyle]) -> Table:
    """The QR code with, beside it, what it is for and its text."""
    text = [Paragraph(escape(content.qr_caption), styles["note"])]
    if content.qr_text:
        text += [Spacer(1, 2 * mm), Paragraph(escape(content.qr_text), styles["code"])]
        code: Flowable = QrCode(content.qr_text, width=QR_SIZE, height=QR_SIZE, qrLevel="M")
    else:
        code = Spacer(QR_SIZE, 1)
    gap = 6 * mm
    table = Table([[code, text]], colWidths=[QR_SIZE + gap, width - QR_SIZE - gap], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("LINEABOVE", (0, 0), (-1, 0), 0.5, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 4 * mm),
            ]
        )
    )
    return table
