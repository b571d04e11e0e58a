"""The head of the Outbox page: what the sync engine is doing, in words.

One sentence for the engine's state, the last problem with its time, how long the oldest unsent
report has waited (marked with an icon and words, not colour alone, past the warning age) and a
progress bar while a long pass runs. The texts come from pure functions so they can be read and
tested without widgets; ``SyncHeader.show_state`` puts them on screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from PySide6.QtCore import QCoreApplication, QLocale, Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop_app.sync.status import SyncStatus
from ui.models.formatting import local_time
from ui.models.messages_model import OutboxSummary, warning_icon

CONTEXT = "SyncPanel"
ICON_SIZE = 20

STATUS_STYLE = "QLabel#syncStatus { font-weight: bold; }"
ERROR_STYLE = "QLabel#syncError { color: #8a1c1c; }"
AGE_STYLE = "QLabel#syncAge { color: #303030; }"
# Dark text on a pale amber box: readable, and the icon and wording carry the warning too.
AGE_WARNING_STYLE = (
    "QFrame#syncAgeBox { background: #fff4e5; border: 1px solid #e0a040; border-radius: 3px; }"
    " QLabel#syncAge { color: #5f3300; font-weight: bold; }"
)


def _tr(text: str, count: int = -1) -> str:
    return QCoreApplication.translate(CONTEXT, text, None, count)


@dataclass(frozen=True)
class SyncView:
    """Everything the header shows, worked out from the engine's snapshot and the outbox rows."""

    sentence: str
    error: str  # "" when there is no problem to show
    age: str  # "" when nothing waits
    overdue: bool
    progress_shown: bool
    done: int
    total: int


# -- the texts ------------------------------------------------------------------------------------


def number(value: int) -> str:
    return QLocale().toString(value)


def age_text(age: timedelta) -> str:
    """A waiting time in words: "less than a minute", "45 min", "1 h 20 min", "2 d 3 h"."""
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return _tr("less than a minute")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _tr("{0} d {1} h").format(days, hours)
    if hours and minutes:
        return _tr("{0} h {1} min").format(hours, minutes)
    if hours:
        return _tr("{0} h").format(hours)
    return _tr("{0} min").format(minutes)


def clock_time(when: datetime, now: datetime) -> str:
    """The time of day in the PC's time zone, with the date when it is not today."""
    local, today = when.astimezone(), now.astimezone()
    if local.date() == today.date():
        return local.strftime("%H:%M")
    return local_time(when)


def status_sentence(
    status: SyncStatus, summary: OutboxSummary, *, sign_in_needed: bool, now: datetime
) -> str:
    """One sentence for what the engine is doing now and when it acts next."""
    if status.syncing:
        if status.total:
            return _tr("Sending {0} of {1}…").format(number(status.done), number(status.total))
        return _tr("Checking with the registry server…")
    if sign_in_needed:
        return _tr(
            "Not signed in to the registry server: reports wait on this computer until you "
            "sign in again."
        )
    if status.server_wait_until is not None and status.server_wait_until > now:
        return _tr("Waiting until {0}: the registry server asked us to wait.").format(
            clock_time(status.server_wait_until, now)
        )
    next_at = status.next_attempt_at
    if status.online is False:
        sentence = _tr("Offline: the registry server could not be reached.")
        if next_at is not None:
            sentence += " " + _tr("Retrying at {0}.").format(clock_time(next_at, now))
        return sentence
    if status.online is None:
        return _tr("Connecting to the registry server…")
    if summary.unsent == 0:
        return _tr("Everything has been sent.")
    sentence = _tr("%n report(s) waiting to be sent.", summary.unsent)
    if next_at is not None:
        sentence += " " + _tr("Next attempt at {0}.").format(clock_time(next_at, now))
    return sentence


def error_sentence(status: SyncStatus, now: datetime) -> str:
    if not status.last_error:
        return ""
    if status.last_error_at is None:
        return _tr("Last problem: {0}").format(status.last_error)
    return _tr("Last problem at {0}: {1}").format(
        clock_time(status.last_error_at, now), status.last_error
    )


def age_sentence(oldest: datetime | None, now: datetime, warning: timedelta) -> tuple[str, bool]:
    """How long the oldest unsent report has waited, and whether that is past ``warning``."""
    if oldest is None:
        return "", False
    age = now - oldest
    text = _tr("Oldest unsent report waiting {0}.").format(age_text(age))
    if age <= warning:
        return text, False
    return (
        _tr(
            "Warning: the oldest unsent report has waited {0}, longer than {1}. If it is not "
            "sent soon, check the network connection or call IT support."
        ).format(age_text(age), age_text(warning)),
        True,
    )


def progress_shown(status: SyncStatus, min_total: int) -> bool:
    """A bar only for a pass long enough to watch (more than ``min_total`` messages)."""
    return status.syncing and status.total > min_total


def sync_view(
    status: SyncStatus,
    summary: OutboxSummary,
    *,
    sign_in_needed: bool,
    now: datetime,
    age_warning: timedelta,
    progress_min_total: int,
) -> SyncView:
    age, overdue = age_sentence(summary.oldest_unsent_queued_at, now, age_warning)
    return SyncView(
        sentence=status_sentence(status, summary, sign_in_needed=sign_in_needed, now=now),
        error=error_sentence(status, now),
        age=age,
        overdue=overdue,
        progress_shown=progress_shown(status, progress_min_total),
        done=status.done,
        total=status.total,
    )


# -- the widget -----------------------------------------------------------------------------------


class SyncHeader(QFrame):
    """Status sentence, last problem, age of the oldest unsent report, progress; on the right
    the actions that concern the whole outbox (Send now, Cancel)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("syncHeader")
        self.status_label = _label("syncStatus", STATUS_STYLE)
        font = self.status_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.status_label.setFont(font)
        self.error_label = _label("syncError", ERROR_STYLE)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.age_box = QFrame()
        self.age_box.setObjectName("syncAgeBox")
        self.age_icon = QLabel()
        self.age_icon.setObjectName("syncAgeIcon")
        self.age_icon.setPixmap(warning_icon().pixmap(ICON_SIZE, ICON_SIZE))
        self.age_icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.age_label = _label("syncAge", AGE_STYLE)
        age_row = QHBoxLayout(self.age_box)
        age_row.setContentsMargins(0, 0, 0, 0)
        age_row.addWidget(self.age_icon)
        age_row.addWidget(self.age_label, 1)

        self.progress = QProgressBar()
        self.progress.setObjectName("syncProgress")
        self.progress.setTextVisible(True)
        self.progress.hide()

        self.send_button = QPushButton(self.tr("&Send now"))
        self.send_button.setObjectName("sendNowButton")
        self.send_button.setToolTip(self.tr("Send the reports in the outbox now."))
        self.cancel_button = QPushButton(self.tr("&Cancel sending"))
        self.cancel_button.setObjectName("cancelSyncButton")
        self.cancel_button.setToolTip(
            self.tr("Stop after the reports being sent now; the rest stay in the outbox.")
        )

        texts = QVBoxLayout()
        texts.setContentsMargins(0, 0, 0, 0)
        texts.setSpacing(6)
        for widget in (self.status_label, self.error_label, self.age_box, self.progress):
            texts.addWidget(widget)
        buttons = QVBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 4, 0, 4)
        row.addLayout(texts, 1)
        row.addLayout(buttons)
        # As tall as its lines need: the page's spare height belongs to the table.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.show_view(SyncView("", "", "", overdue=False, progress_shown=False, done=0, total=0))

    def show_view(self, view: SyncView) -> None:
        self.status_label.setText(view.sentence)
        self.error_label.setText(view.error)
        self.error_label.setVisible(bool(view.error))
        self.age_label.setText(view.age)
        self.age_box.setVisible(bool(view.age))
        self.age_icon.setVisible(view.overdue)
        if self.age_box.property("overdue") is not view.overdue:
            # Only on a change: every style sheet set makes Qt re-style the box.
            self.age_box.setProperty("overdue", view.overdue)
            self.age_box.setStyleSheet(AGE_WARNING_STYLE if view.overdue else AGE_STYLE)
            margin = (6, 4, 6, 4) if view.overdue else (0, 0, 0, 0)
            self.age_box.layout().setContentsMargins(*margin)
        if view.progress_shown:
            self.progress.setRange(0, max(view.total, 1))
            self.progress.setValue(min(view.done, view.total))
            self.progress.setFormat(
                self.tr("{0} of {1} sent").format(number(view.done), number(view.total))
            )
        self.progress.setVisible(view.progress_shown)


def _label(name: str, style: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)  # server sentences are shown as text, never HTML
    label.setStyleSheet(style)
    return label
