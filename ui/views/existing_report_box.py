"""The question asked before a second report of the same form for the same patient is made:
open the one that exists, create a new one anyway, or cancel."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from local_cache import MessageRecord, MessageState, ReceiptRepository
from ui.models.formatting import parse_time

# Which existing message to offer: one the user can still work on first.
_PREFERENCE = (
    MessageState.DRAFT,
    MessageState.QUEUED,
    MessageState.SENDING,
    MessageState.RECEIPTED,
)


def _tr(text: str, n: int = -1) -> str:
    return QCoreApplication.translate("ExistingReportBox", text, None, n)


def short_date(value: datetime | str | None) -> str:
    """dd.mm.yyyy in the PC's time zone, as Norwegian clinicians write dates."""
    when = parse_time(value)
    return when.astimezone().strftime("%d.%m.%Y") if when else ""


def most_relevant(records: Sequence[MessageRecord]) -> MessageRecord:
    """The record to offer (records come newest changed first)."""
    return min(records, key=lambda r: _PREFERENCE.index(r.state))


def received_at(receipts: ReceiptRepository, record: MessageRecord) -> str | None:
    """When the registry received the message, as its receipt says (None: no receipt here)."""
    if not record.receipt_id:
        return None
    try:
        return receipts.get(record.receipt_id).received_at
    except KeyError:
        return None


def describe_existing(records: Sequence[MessageRecord], receipts: ReceiptRepository) -> str:
    """The warning, in plain words, about the most relevant of `records`."""
    record = most_relevant(records)
    if record.state == MessageState.DRAFT:
        text = _tr(
            "A draft of this form for this patient already exists (last changed %1). "
            "Open it instead?"
        ).replace("%1", short_date(record.updated_at))
    elif record.state in (MessageState.QUEUED, MessageState.SENDING):
        text = _tr(
            "A report of this form for this patient was submitted on %1 and is in the outbox, "
            "waiting to be sent. Open it instead?"
        ).replace("%1", short_date(record.queued_at or record.updated_at))
    else:
        text = _tr(
            "A report of this form for this patient was already received by the registry on "
            "%1. Open it instead?"
        ).replace("%1", short_date(received_at(receipts, record) or record.updated_at))
    others = len(records) - 1
    if others:
        text += "\n\n" + _tr(
            "There are %n more report(s) of this form for this patient under Drafts, Outbox "
            "and Receipts.",
            others,
        )
    return text


def ask_about_existing(
    parent: QWidget,
    records: Sequence[MessageRecord],
    receipts: ReceiptRepository,
    on_open: Callable[[str], object],
    on_create: Callable[[], object],
) -> QMessageBox:
    """Shows the question (window-modal, without blocking) and calls `on_open(message_id)` or
    `on_create()` for the answer; Cancel and Escape do nothing. Returns the box."""
    offered = most_relevant(records)
    box = QMessageBox(
        QMessageBox.Icon.Question,
        _tr("Report already exists"),
        describe_existing(records, receipts),
        QMessageBox.StandardButton.NoButton,
        parent,
    )
    box.setObjectName("existingReportBox")
    open_button = box.addButton(_tr("&Open existing"), QMessageBox.ButtonRole.AcceptRole)
    create_button = box.addButton(_tr("Create &new anyway"), QMessageBox.ButtonRole.ActionRole)
    cancel_button = box.addButton(QMessageBox.StandardButton.Cancel)
    open_button.setObjectName("openExistingButton")
    create_button.setObjectName("createAnywayButton")
    box.setDefaultButton(open_button)
    box.setEscapeButton(cancel_button)

    def answered(button: object) -> None:
        if button is open_button:
            on_open(offered.id)
        elif button is create_button:
            on_create()

    box.buttonClicked.connect(answered)
    box.open()
    return box
