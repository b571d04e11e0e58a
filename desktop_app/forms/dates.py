"""What a date answer is: "YYYY-MM-DD" exactly. One definition for validation, conditions and
whatever reads stored answers (the reminder job, the statistics, drafts made from reminders);
`date.fromisoformat` alone also takes "20260315" and week dates such as "2026-W11-7"."""

from __future__ import annotations

import datetime
import re

DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def date_value(value: object) -> datetime.date | None:
    """The date a form answer holds, or None when it is not a valid "YYYY-MM-DD"."""
    if not isinstance(value, str) or not DATE_PATTERN.match(value):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None
