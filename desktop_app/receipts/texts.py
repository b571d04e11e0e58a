"""The printed receipt's and `verify-receipt`'s texts in both languages
(resources/receipt_texts.json), and how a receipt's times read in each language."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

from desktop_app.forms.text import fill, localized
from desktop_app.resources import resources_dir

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@cache
def _texts() -> dict[str, dict[str, str]]:
    data = json.loads((resources_dir() / "receipt_texts.json").read_text(encoding="utf-8"))
    return data["texts"]


def text(key: str, lang: str = "en", /, **params: Any) -> str:
    """The text `key` in `lang` (English when missing there), placeholders filled."""
    return fill(localized(_texts()[key], lang), params)


def parse_utc(value: datetime | str | None) -> datetime | None:
    """An ISO 8601 time (a receipt's received_at, "...Z") as an aware datetime, or None."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def local_date_time(
    value: datetime | str | None, lang: str = "en", *, offset: bool = False
) -> tuple[str, str] | None:
    """(date, time) in this computer's time zone: ("05.12.2026", "14:32") in Bokmål,
    ("5 Dec 2026", "14:32") in English (a month name cannot be misread as a day); with
    `offset` the time carries the zone's UTC offset ("14:32 (UTC+01:00)"). None when
    `value` is not a time."""
    when = parse_utc(value)
    if when is None:
        return None
    local = when.astimezone()
    if lang == "nb":
        date = f"{local.day:02d}.{local.month:02d}.{local.year}"
    else:
        date = f"{local.day} {_MONTHS_EN[local.month - 1]} {local.year}"
    time = f"{local.hour:02d}:{local.minute:02d}"
    if offset:
        time += f" ({_utc_offset(local)})"
    return date, time


def local_when(value: datetime | str | None, lang: str = "en", *, offset: bool = False) -> str:
    """`local_date_time` as one text ("05.12.2026 14:32"); the value itself when unreadable."""
    parts = local_date_time(value, lang, offset=offset)
    if parts is None:
        return "" if value is None else str(value)
    return f"{parts[0]} {parts[1]}"


def _utc_offset(local: datetime) -> str:
    delta = local.utcoffset()
    minutes = 0 if delta is None else int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
