"""Drafts and outbox rows: the signed-in clinician's messages in some states, from their bound
message repository (read on the cache worker by ``ui.models.reloader.ModelReloader``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QApplication, QStyle

from local_cache import MessageRecord, MessageState
from ui.models.formatting import local_time, mask_identity_number, tr
from ui.models.names import CatalogueNames
from ui.models.table_model import Column, RowTableModel, runs

log = logging.getLogger(__name__)

PATIENT_FIELD = "patient_id"


def patient_of(record: MessageRecord) -> str:
    values = record.values or (record.body or {}).get("values") or {}
    return mask_identity_number(values.get(PATIENT_FIELD))


class MessagesModel(RowTableModel[MessageRecord]):
    states: Sequence[MessageState] = ()

    def __init__(
        self, messages, owner: str, names: CatalogueNames, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._messages = messages
        self._owner = owner
        self._names = names

    def fetch(self) -> list[MessageRecord]:
        # The lists show the answers, never the frozen body: not decoding it halves a load.
        return self._messages.list(self._owner, list(self.states), with_body=False)

    def index_of_message(self, message_id: str) -> int | None:
        for row, record in enumerate(self._rows):
            if record.id == message_id:
                return row
        return None

    def _registry(self, record: MessageRecord) -> str:
        return self._names.registry(record.registry)

    def _form(self, record: MessageRecord) -> str:
        return self._names.form(record.registry, record.form, record.form_version)


class DraftsModel(MessagesModel):
    COL_REGISTRY, COL_FORM, COL_PATIENT, COL_CHANGED, COL_ISSUES = range(5)
    states = (MessageState.DRAFT,)

    def __init__(
        self, messages, owner: str, names: CatalogueNames, parent: QObject | None = None
    ) -> None:
        super().__init__(messages, owner, names, parent)
        self.columns = (
            Column(tr("DraftsModel", "Registry"), self._registry),
            Column(tr("DraftsModel", "Form"), self._form),
            Column(tr("DraftsModel", "Patient"), patient_of),
            Column(
                tr("DraftsModel", "Last changed"),
                lambda r: local_time(r.updated_at),
                sort_key=lambda r: r.updated_at,
            ),
            Column(
                tr("DraftsModel", "Registry's remarks"),
                _issues_count,
                sort_key=lambda r: len(r.server_issues or []),
                tooltip=lambda r: r.last_error or "",
            ),
        )

    def delete_stored(self, message_id: str) -> None:
        """Delete the draft from the cache (the caller asked the user first; on the cache
        worker), then ``remove_message`` on the GUI thread."""
        self._messages.delete_draft(message_id)

    def remove_message(self, message_id: str) -> None:
        """Take a deleted draft's row out (GUI thread)."""
        row = self.index_of_message(message_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        self.endRemoveRows()


def _issues_count(record: MessageRecord) -> str:
    count = len(record.server_issues or [])
    return str(count) if count else ""


UNSENT_STATES = (MessageState.QUEUED, MessageState.SENDING)


@dataclass(frozen=True)
class OutboxSummary:
    """What the outbox's rows come to (the header and the status bar show it)."""

    unsent: int  # queued + sending
    quarantined: int  # rejected: waits for the user (retry or return to draft)
    oldest_unsent_queued_at: datetime | None


class OutboxModel(MessagesModel):
    """Submitted messages not yet receipted: waiting, being sent, or held back after a refusal.

    Rows waiting longer than the age warning are marked (colour, icon and tooltip) in the
    "Queued at" column; ``set_now`` moves the clock those ages are measured against.
    """

    COL_REGISTRY, COL_FORM, COL_PATIENT, COL_STATE, COL_ATTEMPTS, COL_QUEUED, COL_ERROR = range(7)
    states = (MessageState.QUEUED, MessageState.SENDING, MessageState.REJECTED)

    def __init__(
        self,
        messages,
        owner: str,
        names: CatalogueNames,
        parent: QObject | None = None,
        *,
        age_warning: timedelta = timedelta(minutes=60),
    ) -> None:
        super().__init__(messages, owner, names, parent)
        self.age_warning = age_warning
        self._now = datetime.now(UTC)
        self.columns = (
            Column(tr("OutboxModel", "Registry"), self._registry),
            Column(tr("OutboxModel", "Form"), self._form),
            Column(tr("OutboxModel", "Patient"), patient_of),
            Column(
                tr("OutboxModel", "State"),
                state_text,
                tooltip=state_tooltip,
                warn=lambda r: r.state == MessageState.REJECTED,
            ),
            Column(tr("OutboxModel", "Attempts"), lambda r: str(r.attempts), lambda r: r.attempts),
            Column(
                tr("OutboxModel", "Queued at"),
                lambda r: local_time(r.queued_at),
                sort_key=lambda r: r.queued_at,
                tooltip=self._age_tooltip,
                warn=self.is_overdue,
            ),
            Column(
                tr("OutboxModel", "Last problem"),
                lambda r: r.last_error or "",
                tooltip=lambda r: r.last_error or "",
            ),
        )

    def summary(self) -> OutboxSummary:
        """Counts of the shown rows (one snapshot with the table, no extra query)."""
        unsent = [r for r in self._rows if r.state in UNSENT_STATES]
        queued = [r.queued_at for r in unsent if r.queued_at is not None]
        refused = sum(1 for r in self._rows if r.state == MessageState.REJECTED)
        return OutboxSummary(len(unsent), refused, min(queued) if queued else None)

    def row_key(self, row: MessageRecord) -> str:
        return row.id

    def row_changed(self, old: MessageRecord, new: MessageRecord) -> bool:
        return _shown(old) != _shown(new)

    def return_to_draft(self, message_id: str) -> MessageRecord:
        """A refused message back to an editable draft (a write: call it off the GUI thread)."""
        return self._messages.return_rejected_to_draft(message_id)

    # -- ages -----------------------------------------------------------------------------

    def set_now(self, now: datetime, *, notify: bool = True) -> None:
        """Measure waiting times against ``now`` (the view's clock ticks every half minute).

        With ``notify``, the rows that crossed the warning age since the last time are
        repainted: only those, since a change signal for every row makes the sorting proxy
        look at every row again (tens of milliseconds for a thousand).
        """
        before = [self.is_overdue(record) for record in self._rows] if notify else []
        self._now = now
        if not notify:
            return
        crossed = [
            row
            for row, (record, was) in enumerate(zip(self._rows, before, strict=True))
            if self.is_overdue(record) != was
        ]
        for first, last in runs(crossed):
            top, bottom = self.index(first, self.COL_QUEUED), self.index(last, self.COL_QUEUED)
            self.dataChanged.emit(top, bottom, AGE_ROLES)

    def is_overdue(self, record: MessageRecord) -> bool:
        return (
            record.state in UNSENT_STATES
            and record.queued_at is not None
            and self._now - record.queued_at > self.age_warning
        )

    def _age_tooltip(self, record: MessageRecord) -> str:
        if not self.is_overdue(record):
            return ""
        minutes = int(self.age_warning.total_seconds() // 60)
        return tr("OutboxModel", "Waiting longer than {0} minutes.").format(minutes)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        # Not colour alone: a warning icon goes with every cell shown in the warning colour.
        if role == Qt.ItemDataRole.DecorationRole and index.isValid():
            column = self.columns[index.column()]
            if column.warn is not None and column.warn(self._rows[index.row()]):
                return warning_icon()
            return None
        return super().data(index, role)


AGE_ROLES = [
    Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.DecorationRole,
    Qt.ItemDataRole.ToolTipRole,
]


def _shown(record: MessageRecord) -> tuple:
    """What the outbox shows of a message (a change here is a changed row)."""
    return (record.state, record.attempts, record.last_error, record.queued_at, record.values)


def warning_icon():
    return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)


def state_text(record: MessageRecord) -> str:
    if record.state == MessageState.QUEUED and record.attempts:
        return tr("OutboxModel", "Waiting to retry")
    texts = {
        MessageState.QUEUED: tr("OutboxModel", "Waiting"),
        MessageState.SENDING: tr("OutboxModel", "Sending"),
        MessageState.REJECTED: tr("OutboxModel", "On hold: refused"),
        MessageState.DRAFT: tr("OutboxModel", "Draft"),
        MessageState.RECEIPTED: tr("OutboxModel", "Received by the registry"),
    }
    return texts.get(record.state, str(record.state))


def state_tooltip(record: MessageRecord) -> str:
    if record.state == MessageState.REJECTED:
        return tr(
            "OutboxModel",
            "The registry refused this report and it is not sent again by itself. Select it, "
            "then Retry to send it unchanged, or Return to draft to change it.",
        )
    if record.state == MessageState.QUEUED and record.attempts:
        return tr("OutboxModel", "Sending failed; it is tried again automatically.")
    return ""
