"""Reminders of one owner's unit as last fetched, from the reminder repository (works offline).

Loaded off the GUI thread (`refresh()` starts a background load; `loaded` is emitted when the
rows are in). Reminders the user has answered on this computer are left out at once, before
the server has the answer. Reasons are worded in the UI language from the rules' texts
(resources/reminder_rules.json) by `reason_key`, or the server's sentence for a key this
version does not know.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop_app.forms import DefinitionError
from desktop_app.reminder_rules import ReminderRules, shipped_rules
from ui.models.formatting import mask_identity_number, tr
from ui.models.names import CatalogueNames
from ui.models.reloader import ModelReloader
from ui.models.table_model import Column, RowTableModel

log = logging.getLogger(__name__)

REFUSALS_SHOWN_FOR = timedelta(days=7)


@dataclass(frozen=True)
class RemindersSnapshot:
    reminders: list[dict]  # open and not answered here
    fetched_at: datetime | None
    waiting: int = 0  # answers given here and not yet sent
    refused: list[Any] = field(default_factory=list)  # ReminderAnswer the server refused


class RemindersModel(RowTableModel[dict]):
    COL_DUE, COL_STATUS, COL_FORM, COL_PATIENT, COL_REASON = range(5)

    loaded = Signal()  # a background load's rows are applied

    def __init__(
        self,
        reminders,
        owner: str,
        names: CatalogueNames,
        parent: QObject | None = None,
        *,
        answers=None,
    ) -> None:
        super().__init__(parent)
        self._reminders = reminders
        self._answers = answers  # local_cache ReminderAnswerRepository, or None
        self._owner = owner
        self._names = names
        self._rules = _rules()
        self.fetched_at: datetime | None = None
        self.waiting = 0
        self.refused: list[Any] = []
        self.reloader = ModelReloader(self, 0, self, apply=self.set_result)
        self.reloader.loaded.connect(self.loaded)
        self.columns = (
            Column(tr("RemindersModel", "Due"), lambda r: str(r.get("due_date") or "")),
            Column(
                tr("RemindersModel", "Status"),
                due_text,
                sort_key=lambda r: str(r.get("due_date") or ""),
                warn=is_overdue,
            ),
            Column(
                tr("RemindersModel", "Form"),
                lambda r: names.form(r.get("registry", ""), r.get("form", "")),
            ),
            Column(tr("RemindersModel", "Patient"), patient_text),
            Column(tr("RemindersModel", "Reason"), self.reason_text, tooltip=self.reason_text),
        )

    @property
    def owner(self) -> str:
        return self._owner

    def reason_text(self, reminder: dict) -> str:
        """The reason in the UI language, or the server's English sentence."""
        if self._rules is not None:
            params = reminder.get("reason_params")
            worded = self._rules.reason_text(
                reminder.get("reason_key"),
                params if isinstance(params, dict) else {},
                self._names.lang,
            )
            if worded:
                return worded
        return str(reminder.get("reason") or "")

    def describe(self, reminder: dict) -> str:
        """The reminder in two lines: form, patient and due date; then the reason."""
        first = tr("RemindersModel", "{0} for {1}, due {2}").format(
            self._names.form(reminder.get("registry", ""), reminder.get("form", "")),
            patient_text(reminder),
            reminder.get("due_date") or "",
        )
        return f"{first}\n{self.reason_text(reminder)}"

    def fetch(self) -> RemindersSnapshot:  # type: ignore[override]
        """Read the cached list (runs off the GUI thread)."""
        reminders, fetched_at = self._reminders.list(self._owner)
        if self._answers is None:
            return RemindersSnapshot(reminders, fetched_at)
        answered = self._answers.answered_ids(self._owner)
        listed = {str(r.get("id")) for r in reminders}
        recent = datetime.now(UTC) - REFUSALS_SHOWN_FOR
        return RemindersSnapshot(
            [r for r in reminders if str(r.get("id")) not in answered],
            fetched_at,
            waiting=len(self._answers.unsent(self._owner)),
            # Said while the reminder is still listed, or for a week (it was resolved anyway).
            refused=[
                a
                for a in self._answers.refused(self._owner)
                if a.reminder_id in listed or a.created_at >= recent
            ],
        )

    def refresh(self) -> None:
        """Reload in the background (the page and the sync call this on the GUI thread)."""
        self.reloader.reload_now()

    def set_result(self, result: RemindersSnapshot | tuple) -> None:
        if isinstance(result, tuple):
            result = RemindersSnapshot(*result)
        self.fetched_at = result.fetched_at
        self.waiting = result.waiting
        self.refused = list(result.refused)
        self.set_rows(result.reminders)

    def row_key(self, row: dict) -> object:
        return row.get("id")


def _rules() -> ReminderRules | None:
    try:
        return shipped_rules()
    except (DefinitionError, OSError):
        log.exception(
            "The reminder rules cannot be read; reasons are shown as the server sent them"
        )
        return None


def due_in_days(reminder: dict, today: date | None = None) -> int | None:
    try:
        due = date.fromisoformat(str(reminder.get("due_date") or ""))
    except ValueError:
        return None
    return (due - (today or date.today())).days


def is_overdue(reminder: dict, today: date | None = None) -> bool:
    """Overdue by this PC's date, or by the server's when it was fetched."""
    days = due_in_days(reminder, today)
    return bool(reminder.get("overdue")) or (days is not None and days < 0)


def due_text(reminder: dict, today: date | None = None) -> str:
    """The due date in words: "Overdue by 3 days", "Due today", "Due in 12 days"."""
    days = due_in_days(reminder, today)
    if days is None:
        return ""
    if days < 0:
        if days == -1:
            return tr("RemindersModel", "Overdue by 1 day")
        return tr("RemindersModel", "Overdue by {0} days").format(-days)
    if reminder.get("overdue"):
        return tr("RemindersModel", "Overdue")
    if days == 0:
        return tr("RemindersModel", "Due today")
    if days == 1:
        return tr("RemindersModel", "Due tomorrow")
    return tr("RemindersModel", "Due in {0} days").format(days)


def patient_text(reminder: dict) -> str:
    """Name and masked identity number; a patient without a number by the registry's case id."""
    masked = mask_identity_number(reminder.get("patient_id"))
    case_id = str(reminder.get("case_id") or "")
    who = masked or (tr("RemindersModel", "case {0}").format(case_id) if case_id else "")
    name = str(reminder.get("patient_name") or "")
    if name and who:
        return f"{name} ({who})"
    return name or who
