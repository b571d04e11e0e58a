"""Status bar: who is signed in, online or offline (and why), unsent reports, last sync."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from desktop_app.auth import Session
from ui.models.formatting import local_time

ONLINE_STYLE = "color: #1b5e20; font-weight: bold;"
OFFLINE_STYLE = "color: #b00020; font-weight: bold;"
# Refused or long-waiting reports: the words say it, the colour draws the eye.
OUTBOX_WARNING_STYLE = "color: #8a4b00; font-weight: bold;"


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.user_label = QLabel()
        self.user_label.setObjectName("statusUser")
        self.connection_label = QLabel()
        self.connection_label.setObjectName("statusConnection")
        self.unsent_label = QLabel()
        self.unsent_label.setObjectName("statusUnsent")
        self.last_sync_label = QLabel()
        self.last_sync_label.setObjectName("statusLastSync")
        for label in (
            self.user_label,
            self.connection_label,
            self.unsent_label,
            self.last_sync_label,
        ):
            label.setContentsMargins(6, 0, 6, 0)
            self.addPermanentWidget(label)
        self._unsent, self._refused, self._overdue = 0, 0, False
        self.set_connectivity(None, "")
        self.set_unsent(0)
        self.set_last_sync(None)
        # A transient message is drawn left of the first visible permanent field; the user's
        # name and unit would leave it a few words. While one shows, only what may need acting
        # on (online or not, unsent count) stays.
        self._yield_to_messages = (self.user_label, self.last_sync_label)
        self.messageChanged.connect(self._make_room)

    def _make_room(self, message: str) -> None:
        for label in self._yield_to_messages:
            label.setVisible(not message)

    def set_user(self, session: Session) -> None:
        unit = session.unit or {}
        unit_name = unit.get("name") or ""
        hospital = unit.get("hospital_name") or ""
        where = ", ".join(part for part in (unit_name, hospital) if part)
        self.user_label.setText(
            f"{session.display_name} – {where}" if where else session.display_name
        )
        self.user_label.setToolTip(self.tr("Signed in as {0}").format(session.username))

    def set_connectivity(self, online: bool | None, detail: str) -> None:
        if online is None:
            self.connection_label.setText(self.tr("Connecting…"))
            self.connection_label.setStyleSheet("")
        elif online:
            self.connection_label.setText(self.tr("Online"))
            self.connection_label.setStyleSheet(ONLINE_STYLE)
        else:
            self.connection_label.setText(self.tr("Offline"))
            self.connection_label.setStyleSheet(OFFLINE_STYLE)
        self.connection_label.setToolTip(detail)

    def set_unsent(self, count: int) -> None:
        """The engine's count of queued and sending reports (refused ones are kept)."""
        self._unsent = count
        self._show_outbox()

    def set_outbox(self, unsent: int, refused: int, overdue: bool) -> None:
        """What the outbox holds: unsent reports, refused ones on hold, and whether the oldest
        unsent one has waited longer than the warning age."""
        self._unsent, self._refused, self._overdue = unsent, refused, overdue
        self._show_outbox()

    def _show_outbox(self) -> None:
        parts = [self.tr("%n unsent", "", self._unsent)]
        tips = [self.tr("Submitted reports waiting in the outbox to be sent to the registry.")]
        if self._refused:
            parts.append(self.tr("%n refused", "", self._refused))
            tips.append(
                self.tr("Reports refused by the registry are on hold; see the Outbox page.")
            )
        if self._overdue and self._unsent:
            parts.append(self.tr("waiting long"))
            tips.append(
                self.tr("The oldest unsent report has waited longer than expected; see Outbox.")
            )
        self.unsent_label.setText(", ".join(parts))
        self.unsent_label.setToolTip("\n".join(tips))
        warn = bool(self._refused) or (self._overdue and bool(self._unsent))
        style = OUTBOX_WARNING_STYLE if warn else ""
        if self.unsent_label.styleSheet() != style:  # called for every batch of a sync
            self.unsent_label.setStyleSheet(style)

    def set_last_sync(self, when: datetime | None) -> None:
        self.last_sync_label.setText(
            self.tr("Last sync: {0}").format(local_time(when))
            if when is not None
            else self.tr("Last sync: not yet")
        )
