"""The unit's answer to a reminder it is not the one to act on: "not ours" or "patient moved",
with a reason. Stored in the local cache at once (never lost, also offline) and sent to the
registry by the next sync pass (`desktop_app.sync.reminder_steps.send_reminder_answers`)."""

from __future__ import annotations

from typing import Any

ANSWERS = ("not_ours", "patient_moved")
MAX_REASON = 500  # what POST /reminders/{id}/answer takes


class AnswerRefused(ValueError):
    """The answer cannot be recorded as given; `message` says what to change."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def record_answer(cache: Any, owner: str, reminder_id: str, answer: str, reason: str) -> Any:
    """Store the owner's answer (replacing an earlier one not yet sent); the stored
    `local_cache.reminder_answers.ReminderAnswer`. Runs on a background thread in the UI."""
    if answer not in ANSWERS:
        raise AnswerRefused(f"Unknown answer {answer!r}; use one of {', '.join(ANSWERS)}.")
    reason = reason.strip()
    if not reason:
        raise AnswerRefused("Say why: the registry needs a reason with the answer.")
    if len(reason) > MAX_REASON:
        raise AnswerRefused(f"The reason is longer than {MAX_REASON} characters; shorten it.")
    if not reminder_id:
        raise AnswerRefused("The reminder has no id; fetch the reminders again.")
    return cache.reminder_answers.add(owner, reminder_id, answer, reason)
