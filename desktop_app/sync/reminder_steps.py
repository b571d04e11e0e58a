"""Sync steps for reminders: send the unit's answers the server does not have yet, then fetch
the open reminders."""

from __future__ import annotations

import logging

from desktop_app.events import RemindersUpdated
from desktop_app.sync.api_errors import ApiError, AuthError, NetworkError, ServerError
from desktop_app.sync.steps import StepContext

log = logging.getLogger(__name__)


def send_reminder_answers(ctx: StepContext) -> None:
    """Send answers given on this computer that the server does not have. A refusal of one
    answer (404: no such reminder for the unit; 409: resolved or answered otherwise; 422) is
    recorded with it and shown, and not sent again; a network or server failure, or an
    expired sign-in, leaves the rest for the next pass (the engine handles those)."""
    for answer in ctx.cache.reminder_answers.unsent(ctx.owner):
        try:
            ctx.api.answer_reminder(ctx.token, answer.reminder_id, answer.answer, answer.reason)
        except (AuthError, NetworkError, ServerError):
            raise
        except ApiError as exc:
            log.warning(
                "The registry refused the answer to reminder %s (HTTP %s)",
                answer.reminder_id,
                exc.status,
            )
            ctx.cache.reminder_answers.mark_failed(ctx.owner, answer.reminder_id, exc.message)
            continue
        ctx.cache.reminder_answers.mark_sent(ctx.owner, answer.reminder_id)
        log.info("Sent the answer to reminder %s", answer.reminder_id)


def refresh_reminders(ctx: StepContext) -> None:
    codec = getattr(ctx.cache, "codec", None)
    if codec is not None and not codec.unlocked:
        # Reminders name patients: stored under the data key, which a locked screen has
        # dropped. Fetched at the first pass after unlocking.
        return
    reminders, fetched_at = ctx.api.reminders(ctx.token)
    ctx.cache.reminders.replace_all(ctx.owner, reminders, fetched_at)
    ctx.events.publish(RemindersUpdated(fetched_at=fetched_at))
