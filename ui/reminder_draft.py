"""A draft made from a reminder: the form must be installed; the user's reports of that form
for that patient are looked for first (on the cache worker), and when there are some the user
chooses to open one or create a new one anyway; the draft is then made (on the cache worker,
with the reminder's answers: ``DraftService.new_draft_for_reminder``) and opened."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop_app.drafts import ExistingReports
from desktop_app.user_session import UserSession
from ui.views.existing_report_box import ask_about_existing
from ui.workers import run_on_cache

log = logging.getLogger(__name__)


class ReminderDraftStarter(QObject):
    """Starts drafts from reminders for the main window (`window`: parent of the boxes)."""

    openRequested = Signal(str)  # an existing report's or the new draft's message id

    def __init__(self, window: QWidget, user: UserSession, lang: str) -> None:
        super().__init__(window)
        self._window = window
        self._user = user
        self._lang = lang
        self.existing_box: QMessageBox | None = None  # "report already exists"

    def start(self, reminder: Mapping[str, Any]) -> None:
        reminder = dict(reminder)
        registry, form = reminder.get("registry") or "", reminder.get("form") or ""
        try:
            self._user.drafts.catalogue.latest(registry, form)
        except KeyError:
            self._inform(
                self.tr("Form not available"),
                self.tr(
                    "This reminder is for a form this version of the application does not "
                    "have ({0}/{1}). Update the application, or report it another way."
                ).format(registry, form),
            )
            return
        drafts = self._user.drafts
        patient_id = reminder.get("patient_id")
        run_on_cache(
            lambda: drafts.existing_reports(registry, form, patient_id),
            lambda existing: self._found(reminder, existing),
            self._failed,
            parent=self,
        )

    def _found(self, reminder: dict, existing: ExistingReports) -> None:
        if not existing:
            self._create(reminder)
            return
        self.existing_box = ask_about_existing(
            self._window,
            existing,
            on_open=self.openRequested.emit,
            on_create=lambda: self._create(reminder),
        )

    def _create(self, reminder: dict) -> None:
        drafts, session, lang = self._user.drafts, self._user.session, self._lang
        create: Callable[[], Any] = lambda: drafts.new_draft_for_reminder(  # noqa: E731
            reminder, session=session, lang=lang
        )
        run_on_cache(
            create, lambda record: self.openRequested.emit(record.id), self._failed, parent=self
        )

    def _failed(self, error: BaseException) -> None:
        log.error("Making a draft from a reminder failed: %s", type(error).__name__)
        self._inform(
            self.tr("Draft not created"),
            self.tr(
                "The draft could not be created on this computer ({0}). Try again; if it "
                "keeps failing, tell your IT department."
            ).format(getattr(error, "message", None) or type(error).__name__),
            QMessageBox.Icon.Warning,
        )

    def _inform(
        self, title: str, text: str, icon: QMessageBox.Icon = QMessageBox.Icon.Information
    ) -> None:
        """A window-modal box that does not block the event loop."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self._window)
        box.setObjectName("reminderDraftProblem")
        box.finished.connect(box.deleteLater)
        box.open()
