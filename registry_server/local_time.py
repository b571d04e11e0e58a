"""The registry's own calendar: a moment stored in UTC falls on a day in Norway.

Dates a person reads or compares with clinical dates (the day a message was received, in the
statistics and the reminder job) are the registry's local dates, Europe/Oslo: a message
received at 00:30 Norwegian time on 1 March is received on 1 March, not on 28 February (UTC).
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

REGISTRY_TIME_ZONE = ZoneInfo("Europe/Oslo")


def local_date(moment: datetime.datetime) -> datetime.date:
    """The registry's date at `moment` (an aware datetime, as the models give)."""
    return moment.astimezone(REGISTRY_TIME_ZONE).date()
