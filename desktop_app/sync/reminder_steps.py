"""Sync steps for reminders: send the unit's answers the server does not have yet, then fetch
the open reminders."""

from __future__ import annotations

from desktop_app.events import RemindersUpdated
from desktop_app.sync.steps import StepContext


def send_reminder_answers(ctx: StepContext) -> None:
    """(to be written) Send answers given on this computer that the server does not have."""


def refresh_reminders(ctx: StepContext) -> None:
    reminders, fetched_at = ctx.api.reminders(ctx.token)
    ctx.cache.reminders.replace_all(ctx.owner, reminders, fetched_at)
    ctx.events.publish(RemindersUpdated(fetched_at=fetched_at))
