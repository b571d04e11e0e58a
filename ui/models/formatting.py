"""How values look in lists: masked identity numbers, local times, short hashes."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QCoreApplication

HASH_PREFIX_LENGTH = 12


def mask_identity_number(value: object) -> str:
    """Birth date part only ("010203*****"): enough to tell patients apart in a list, on a
    screen others may see, without showing the whole identity number."""
    text = str(value or "").strip()
    if not text:
        return ""
    if len(text) <= 6:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 6)


def local_time(value: datetime | str | None) -> str:
    """A UTC time (aware datetime or ISO 8601 text) shown in the PC's time zone, to the minute."""
    when = parse_time(value)
    if when is None:
        return "" if value is None else str(value)
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def parse_time(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def hash_prefix(sha256: str | None) -> str:
    return (sha256 or "")[:HASH_PREFIX_LENGTH]


def tr(context: str, text: str) -> str:
    return QCoreApplication.translate(context, text)
