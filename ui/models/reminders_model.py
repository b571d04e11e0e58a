"""Reminders of one owner's unit as last fetched, from the reminder repository (works offline)."""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QObject

from ui.models.formatting import mask_identity_number, tr
from ui.models.names import CatalogueNames
from ui.models.table_model import Column, RowTableModel


class RemindersModel(RowTableModel[dict]):
    COL_DUE, COL_REGISTRY, COL_FORM, COL_PATIENT, COL_REASON = range(5)

    def __init__(
        self, reminders, owner: str, names: CatalogueNames, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._reminders = reminders
        self._owner = owner
        self._names = names
        self.fetched_at: datetime | None = None
        self.columns = (
            Column(
                tr("RemindersModel", "Due"),
                lambda r: str(r.get("due_date") or ""),
                tooltip=lambda r: tr("RemindersModel", "Overdue") if is_overdue(r) else "",
                warn=is_overdue,
            ),
            Column(
                tr("RemindersModel", "Registry"), lambda r: names.registry(r.get("registry", ""))
            ),
            Column(
                tr("RemindersModel", "Form"),
                lambda r: names.form(r.get("registry", ""), r.get("form", "")),
            ),
            Column(tr("RemindersModel", "Patient"), patient_text),
            Column(
                tr("RemindersModel", "Reason"),
                lambda r: str(r.get("reason") or ""),
                tooltip=lambda r: str(r.get("reason") or ""),
            ),
        )

    def fetch(self) -> tuple[list[dict], datetime | None]:  # type: ignore[override]
        return self._reminders.list(self._owner)

    def refresh(self) -> None:
        self.set_result(self.fetch())

    def set_result(self, result: tuple[list[dict], datetime | None]) -> None:
        reminders, self.fetched_at = result
        self.set_rows(reminders)


def is_overdue(reminder: dict, today: date | None = None) -> bool:
    try:
        due = date.fromisoformat(str(reminder.get("due_date") or ""))
    except ValueError:
        return False
    return due < (today or date.today())


def patient_text(reminder: dict) -> str:
    masked = mask_identity_number(reminder.get("patient_id"))
    name = str(reminder.get("patient_name") or "")
    if name and masked:
        return f"{name} ({masked})"
    return name or masked
