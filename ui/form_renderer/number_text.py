"""Typed number text <-> JSON numbers, accepting both "," and "." as the decimal separator.

Text that is not a number is returned unchanged so validation can report it ("integer.invalid")
and the user's typing is never lost.
"""

from __future__ import annotations

import math
import re

_SPACES = re.compile(r"[\s\u00a0\u202f]+")  # thin/no-break spaces group thousands in Norwegian
_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")
_MINUS = "\u2212"


def _compact(text: str) -> str:
    return _SPACES.sub("", text).replace(_MINUS, "-")


def parse_integer(text: str) -> int | str | None:
    """None when empty, an int when the text is a whole number, else the stripped raw text."""
    stripped = text.strip()
    if not stripped:
        return None
    compact = _compact(stripped)
    return int(compact) if _INTEGER.fullmatch(compact) else stripped


def parse_decimal(text: str) -> int | float | str | None:
    """None when empty, an int ("12") or float ("12,5" or "12.5"), else the stripped raw text."""
    stripped = text.strip()
    if not stripped:
        return None
    compact = _compact(stripped)
    if not _DECIMAL.fullmatch(compact):
        return stripped
    if "," not in compact and "." not in compact:
        return int(compact)
    return float(compact.replace(",", "."))


def format_number(value: object, lang: str) -> str:
    """How a stored value is shown: numbers in the language's decimal separator, raw text as is."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    shown = repr(value)
    if "e" in shown or "E" in shown:
        shown = f"{value:.15f}".rstrip("0").rstrip(".")
    return shown.replace(".", ",") if lang == "nb" else shown
