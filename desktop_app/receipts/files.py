"""Checking a receipt from a file, offline: a receipt PDF this program made, or a text file
holding a receipt code (what the QR code holds, e.g. decoded from a scan).

In a PDF the code printed on the page is what is checked (it is what a reader sees beside the
printed facts); the copy in the document's metadata must be the same, else the file is refused
(one of them was changed). A PDF whose page has no code text (a scan, or a "print to PDF" that
made the page an image) cannot be checked from the file: its QR code must be scanned and the
text passed in a file.

Returns codes (``FileCheck``); ``desktop_app.verify_receipt_cli`` words them.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.receipt_signature import FORMAT, ReceiptFormatError, Verdict, parse_qr_text
from desktop_app.receipts.keys import TrustedKeys

# Bigger than any receipt PDF or code file by far; more is not one (and is not read whole).
MAX_FILE_BYTES = 20 * 1024 * 1024
# A whole receipt code in running text, once whitespace is removed (a code has none; its
# printed copy is broken over lines): RR1, nine signed fields, and an Ed25519 signature,
# which is always 64 bytes, 86 characters of base64url -- so the match ends where it ends.
_PRINTED_CODE = re.compile(
    re.escape(FORMAT) + r"(?:\|[^|\s]+){9}\|[A-Za-z0-9_-]{86}(?![A-Za-z0-9_-])"
)


class FileProblem(enum.StrEnum):
    UNREADABLE = "unreadable"  # no such file, no permission, not a PDF that can be opened
    NO_RECEIPT_CODE = "no_receipt_code"  # readable, but holds no receipt code
    NO_CODE_TEXT = "no_code_text"  # a PDF without the code as text on its page (an image)
    CODES_DIFFER = "codes_differ"  # a PDF whose metadata code is not the code on its page


@dataclass(frozen=True)
class FileCheck:
    """What checking a file found: either a problem, or the verdict on the code it holds."""

    problem: FileProblem | None = None
    reason: str = ""  # for UNREADABLE: the system's words (e.g. "No such file or directory")
    verdict: Verdict | None = None
    receipt: dict[str, str] = field(default_factory=dict)  # the code's fields (and signature)
    pdf: bool = False  # the code was read from a PDF's page

    @property
    def valid(self) -> bool:
        return self.verdict is Verdict.VALID


class UnreadableFile(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PdfCodes:
    metadata: str | None  # the document's Keywords, when they hold a code
    page: str | None  # the code printed on the first pages (found in their text)


def receipt_code_in(path: Path) -> str | None:
    """The receipt code a file holds (None: none found); in a PDF the code printed on the
    page, else its metadata's. UnreadableFile when the file cannot be read."""
    data = _read(path)
    if data.startswith(b"%PDF"):
        codes = pdf_codes(path)
        return codes.page or codes.metadata
    return _code_in_text(data)


def check_receipt_file(path: Path, keys: TrustedKeys) -> FileCheck:
    try:
        data = _read(path)
        if not data.startswith(b"%PDF"):
            return check_receipt_code(_code_in_text(data), keys)
        codes = pdf_codes(path)
    except UnreadableFile as error:
        return FileCheck(FileProblem.UNREADABLE, reason=error.reason)
    if codes.page is None:
        return FileCheck(FileProblem.NO_CODE_TEXT, pdf=True)
    if codes.metadata is not None and codes.metadata != codes.page:
        return FileCheck(FileProblem.CODES_DIFFER, pdf=True)
    return dataclasses.replace(check_receipt_code(codes.page, keys), pdf=True)


def check_receipt_code(code: str | None, keys: TrustedKeys) -> FileCheck:
    if not code:
        return FileCheck(FileProblem.NO_RECEIPT_CODE)
    try:
        fields = parse_qr_text(code)
    except ReceiptFormatError:
        return FileCheck(FileProblem.NO_RECEIPT_CODE)
    return FileCheck(verdict=keys.verdict(fields), receipt=fields)


def _read(path: Path) -> bytes:
    try:
        with Path(path).open("rb") as source:
            data = source.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise UnreadableFile(error.strerror or type(error).__name__) from error
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile("the file is too large to be a receipt")
    return data


def _code_in_text(data: bytes) -> str | None:
    try:
        found = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return _find_code(found)


def _find_code(text: str, *, lines: bool = True) -> str | None:
    """The receipt code in `text`: a whole, well-formed code anywhere (line breaks ignored);
    else, with `lines` (a code file, maybe changed by hand), a line that starts like one."""
    found = _PRINTED_CODE.search("".join(text.split()))
    if found:
        return found.group(0)
    if lines:
        for line in text.splitlines():
            if line.strip().startswith(FORMAT + "|"):
                return "".join(line.split())
    return None


def pdf_codes(path: Path) -> PdfCodes:
    """The code in a PDF's metadata and the one printed on its first pages (UnreadableFile
    when it is not a PDF that can be read)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        keywords = str((reader.metadata or {}).get("/Keywords") or "").strip()
        metadata = keywords if keywords.startswith(FORMAT + "|") else None
        page = None
        for each in reader.pages[:5]:
            page = _find_code(each.extract_text() or "", lines=False)
            if page:
                break
    except (PyPdfError, OSError, ValueError, KeyError) as error:
        raise UnreadableFile(f"not a PDF that can be read ({type(error).__name__})") from error
    return PdfCodes(metadata, page)
