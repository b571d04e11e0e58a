"""What a sync pass does after sending the outbox: each step sends or fetches one thing
(reminder answers, reminders, receipt keys, the unit's receipts, statistics).

A step is a function of a `StepContext`. It lets `AuthError` and other `ApiError`s out: the
engine decides what they mean for the pass (sign in again; back off when the server cannot be
reached or fails; a 4xx for one step is logged and the next step runs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from desktop_app.events import EventBus
from desktop_app.sync.api_client import ApiClient


@dataclass(frozen=True)
class StepContext:
    api: ApiClient
    token: str
    owner: str
    session: Any  # desktop_app.auth.Session: server_url, unit
    cache: Any  # local_cache.Cache
    events: EventBus


Step = Callable[[StepContext], None]


def default_steps() -> list[Step]:
    """The steps of every pass, in order: answers first (a reminder answered here should not
    come back in the list fetched next)."""
    from desktop_app.sync.receipt_steps import fetch_receipts, refresh_receipt_keys
    from desktop_app.sync.reminder_steps import refresh_reminders, send_reminder_answers
    from desktop_app.sync.statistics_step import refresh_statistics

    return [
        send_reminder_answers,
        refresh_reminders,
        refresh_receipt_keys,
        fetch_receipts,
        refresh_statistics,
    ]
