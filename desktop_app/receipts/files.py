"""Checking a receipt from a file, offline: a receipt PDF this program made, or a text file
holding a receipt code (what the QR code holds, e.g. decoded from a scan).

Returns codes (``FileCheck``); ``desktop_app.verify_receipt_cli`` words them.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class FileCheck:
    """What checking a file found: either a problem, or the verdict on the code it holds."""

    problem: FileProblem | None = None
    reason: str = ""  # for UNREADABLE: the system's words (e.g. "No such file or directory")
    verdict: Verdict | None = None
    receipt: dict[str, str] = field(default_factory=dict)  # the code's fields (and signature)

    @property
    def valid(self) -> bool:
        return self.verdict is Verdict.VALID


class UnreadableFile(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def receipt_code_in(path: Path) -> str | None:
    """The receipt code a file holds (None: none found); UnreadableFile when it cannot be read."""
    path = Path(path)
    try:
        with path.open("rb") as source:
            data = source.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise UnreadableFile(error.strerror or type(error).__name__) from error
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile("the file is too large to be a receipt")
    if data.startswith(b"%PDF"):
        return _code_in_pdf(path)
    try:
        found = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return _find_code(found)


def check_receipt_file(path: Path, keys: TrustedKeys) -> FileCheck:
    try:
        code = receipt_code_in(path)
    except UnreadableFile as error:
        return FileCheck(FileProblem.UNREADABLE, reason=error.reason)
    return check_receipt_code(code, keys)


def check_receipt_code(code: str | None, keys: TrustedKeys) -> FileCheck:
    if not code:
        return FileCheck(FileProblem.NO_RECEIPT_CODE)
    try:
        fields = parse_qr_text(code)
    except ReceiptFormatError:
        return FileCheck(FileProblem.NO_RECEIPT_CODE)
    return FileCheck(verdict=keys.verdict(fields), receipt=fields)


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


def _code_in_pdf(path: Path) -> str | None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        keywords = (reader.metadata or {}).get("/Keywords")
        if keywords and str(keywords).strip().startswith(FORMAT + "|"):
            return str(keywords).strip()
        for page in reader.pages[:5]:
            found = _find_code(page.extract_text() or "", lines=False)
            if found:
                return found
    except (PyPdfError, OSError, ValueError, KeyError) as error:
        raise UnreadableFile(f"not a PDF that can be read ({type(error).__name__})") from error
    return None
