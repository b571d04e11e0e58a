"""Hosts the draft editor in the main window's page stack: one draft open at a time, read on the
cache worker before it is shown (opening may move it to a newer form version there), and its
pending changes handed to the autosaver whenever the user leaves it.

The main window keeps the public names (`editor`, `open_draft`, `close_editor`,
`flush_editor_and_wait`, `draftOpened`) and passes them through to this host.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QListWidget, QMessageBox, QStackedWidget, QWidget

from desktop_app.config import Settings
from desktop_app.user_session import UserSession
from ui.draft_editor import DraftEditor, OpenedDraft
from ui.workers import run_on_cache

log = logging.getLogger(__name__)


class DraftEditorHost(QObject):
    opened = Signal(str)  # message id: the editor shows it
    submitted = Signal(str)  # message id: the open draft was queued

    def __init__(
        self,
        user: UserSession,
        settings: Settings,
        stack: QStackedWidget,
        navigation: QListWidget,
        window: QWidget,
    ) -> None:
        super().__init__(window)
        self.user = user
        self.settings = settings
        self.stack = stack
        self.navigation = navigation
        self._window = window
        self.editor: DraftEditor | None = None
        self.opening: str | None = None  # the draft being read to open

    def open(self, message_id: str) -> None:
        """Read the draft on the cache worker (it may be moved to a newer form version there,
        behind the open page's last save), then show it; `opened` once shown."""
        self.close()
        self.opening = message_id
        drafts = self.user.drafts
        run_on_cache(
            lambda: drafts.open_with_changes(message_id),
            lambda opened: self._show(message_id, opened),
            lambda error: self._open_failed(message_id, error),
            parent=self,
        )

    def _open_failed(self, message_id: str, exc: BaseException) -> None:
        if self.opening != message_id:
            return
        self.opening = None
        log.error("Opening a draft failed: %s", type(exc).__name__)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            self.tr("Draft cannot be opened"),
            getattr(exc, "message", None)
            or self.tr("The draft cannot be opened ({0}).").format(type(exc).__name__),
            QMessageBox.StandardButton.Ok,
            self._window,
        )
        box.setObjectName("draftOpenProblem")
        box.finished.connect(box.deleteLater)
        box.open()  # window-modal, without a nested event loop

    def _show(self, message_id: str, opened: OpenedDraft) -> None:
        if self.opening != message_id:
            return  # another draft was asked for meanwhile
        self.opening = None
        self.close()
        settings = self.settings
        editor = DraftEditor(
            self.user.drafts, opened, settings.language, settings.autosave_debounce_ms, self._window
        )
        editor.submitted.connect(self.submitted)
        self.editor = editor
        editor.setAutoFillBackground(True)  # as the other pages (ui.main_window)
        self.stack.addWidget(editor)
        # No navigation entry is current while the form is open; choosing one leaves the form.
        self.navigation.blockSignals(True)
        self.navigation.setCurrentRow(-1)
        self.navigation.blockSignals(False)
        self.stack.setCurrentWidget(editor)
        self.opened.emit(message_id)

    def flush(self) -> None:
        """Hand the open form's pending changes to the autosaver now (no wait)."""
        if self.editor is not None:
            try:
                self.editor.flush()
            except Exception:
                log.exception("Saving the open draft failed")

    def flush_and_wait(self) -> None:
        """Write the open form's pending changes and wait until they are on disk, in a local
        event loop (closing, signing out, quitting: nothing typed may be lost)."""
        if self.editor is not None:
            try:
                self.editor.flush_and_wait()
            except Exception:
                log.exception("Saving the open draft failed")

    def close(self) -> None:
        """Close the open form (its pending changes go to the autosaver first), and forget a
        draft still being read to open."""
        self.opening = None
        if self.editor is None:
            return
        self.flush()
        editor, self.editor = self.editor, None
        self.stack.removeWidget(editor)
        editor.deleteLater()
