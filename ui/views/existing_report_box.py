"""The question asked before a second report of the same form for the same patient is made:
open the one that exists, create a new one anyway, or cancel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop_app.drafts import ExistingReports
from local_cache import MessageState
from ui.models.formatting import parse_time


def _tr(text: str, n: int = -1) -> str:
    return QCoreApplication.translate("ExistingReportBox", text, None, n)


def short_date(value: datetime | str | None) -> str:
    """dd.mm.yyyy in the PC's time zone, as Norwegian clinicians write dates."""
    when = parse_time(value)
    return when.astimezone().strftime("%d.%m.%Y") if when else ""


def describe_existing(existing: ExistingReports) -> str:
    """The warning, in plain words, about the report to offer (found off the GUI thread by
    ``DraftService.existing_reports``, with its receipt's date)."""
    record = existing.offered
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
        ).replace("%1", short_date(existing.received_at or record.updated_at))
    others = len(existing.records) - 1
    if others:
        text += "\n\n" + _tr(
            "There are %n more report(s) of this form for this patient under Drafts, Outbox "
            "and Receipts.",
            others,
        )
    return text


def ask_about_existing(
    parent: QWidget,
    existing: ExistingReports,
    on_open: Callable[[str], object],
    on_create: Callable[[], object],
) -> QMessageBox:
    """Shows the question (window-modal, without blocking) and calls `on_open(message_id)` or
    `on_create()` for the answer; Cancel and Escape do nothing. Returns the box."""
    offered = existing.offered
    box = QMessageBox(
        QMessageBox.Icon.Question,
        _tr("Report already exists"),
        describe_existing(existing),
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
