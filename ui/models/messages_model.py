"""Drafts and outbox rows: messages of one owner in some states, from the message repository."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QObject

from local_cache import MessageRecord, MessageState
from ui.models.formatting import local_time, mask_identity_number, tr
from ui.models.names import CatalogueNames
from ui.models.table_model import Column, RowTableModel

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
        return self._messages.list(self._owner, list(self.states))

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

    def delete(self, row: int) -> None:
        """Delete the draft in ``row`` (the caller asked the user first)."""
        record = self.row_at(row)
        self._messages.delete_draft(record.id)
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        self.endRemoveRows()


def _issues_count(record: MessageRecord) -> str:
    count = len(record.server_issues or [])
    return str(count) if count else ""


class OutboxModel(MessagesModel):
    COL_REGISTRY, COL_FORM, COL_PATIENT, COL_STATE, COL_ATTEMPTS, COL_QUEUED, COL_ERROR = range(7)
    states = (MessageState.QUEUED, MessageState.SENDING, MessageState.REJECTED)

    def count_unsent(self) -> int:
        """Queued and sending messages, straight from the repository (not the shown rows)."""
        return self._messages.count_unsent(self._owner)

    def __init__(
        self, messages, owner: str, names: CatalogueNames, parent: QObject | None = None
    ) -> None:
        super().__init__(messages, owner, names, parent)
        self.columns = (
            Column(tr("OutboxModel", "Registry"), self._registry),
            Column(tr("OutboxModel", "Form"), self._form),
            Column(tr("OutboxModel", "Patient"), patient_of),
            Column(tr("OutboxModel", "State"), state_text),
            Column(tr("OutboxModel", "Attempts"), lambda r: str(r.attempts), lambda r: r.attempts),
            Column(
                tr("OutboxModel", "Queued at"),
                lambda r: local_time(r.queued_at),
                sort_key=lambda r: r.queued_at,
            ),
            Column(
                tr("OutboxModel", "Last problem"),
                lambda r: r.last_error or "",
                tooltip=lambda r: r.last_error or "",
            ),
        )


def state_text(record: MessageRecord) -> str:
    texts = {
        MessageState.QUEUED: tr("OutboxModel", "Waiting to be sent"),
        MessageState.SENDING: tr("OutboxModel", "Sending"),
        MessageState.REJECTED: tr("OutboxModel", "Refused by the registry"),
        MessageState.DRAFT: tr("OutboxModel", "Draft"),
        MessageState.RECEIPTED: tr("OutboxModel", "Received by the registry"),
    }
    return texts.get(record.state, str(record.state))
