"""The page that edits one draft: header (ui.draft_header), banners (ui.editor_banners), the form,
the problem count and Submit.

The page is made from a draft already opened on the cache worker (`OpenedDraft`: opening may
move the draft to a newer form version, a write). Every change is saved through the
DraftService's autosaver, debounced by a single-shot QTimer, and handed to it at once on
`flush()`, hide and close, so a crash loses at most the debounce window. The autosaver writes on
its own thread; Submit and "Done" run on the cache worker (ui.workers.run_on_cache), whose
submit waits for the autosaver first. Only `flush_and_wait()` waits for the disk, in a local
event loop.
"""

from __future__ import annotations

import contextlib
import logging
from concurrent.futures import Future
from typing import Any, TypeAlias

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QCloseEvent, QHideEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.drafts import DraftService
from desktop_app.forms import Change, FormDefinition, Issue
from desktop_app.forms.text import fill
from local_cache import CacheError, MessageRecord, MessageState
from ui.draft_header import DraftHeader
from ui.editor_banners import BANNER_STYLE, MigrationBanner, message_banner, migration_text
from ui.form_renderer import FormView
from ui.form_renderer.texts import text
from ui.models.names import CatalogueNames
from ui.workers import call_on_cache, run_on_cache

# What DraftService.open_with_changes returns: read on the cache worker, shown here.
OpenedDraft: TypeAlias = tuple[MessageRecord, FormDefinition, list[Change]]

log = logging.getLogger(__name__)


class DraftEditor(QWidget):
    submitted = Signal(str)  # message id, once the draft is queued
    submitFinished = Signal(bool)  # a submit that got past the form's own check has ended
    changesAcknowledged = Signal(bool)  # "Done" on the migration banner: stored or not
    _saveFinished = Signal(str)  # "" when saved, else why not (sent from the writer thread)

    def __init__(
        self,
        drafts: DraftService,
        opened: OpenedDraft,
        lang: str,
        debounce_ms: int,
        parent: QWidget | None = None,
    ) -> None:
        """`opened`: drafts.open_with_changes(message_id), called on the cache worker. A
        draft on an older version comes back moved to the newest one, with what that (and
        any earlier move) changed, until the user acknowledges it."""
        super().__init__(parent)
        self.setObjectName("draftEditor")
        self.drafts = drafts
        record, definition, changes = opened
        self.message_id = record.id
        self.lang = lang
        self.record = record
        self.definition = definition
        self.changes: list[Change] = list(changes)
        self._pending: dict[str, Any] | None = None
        self._submitted = False
        self._submitting = False
        self._refusal_shown = False
        self._shown_count = -1
        self._read_only = record.state != MessageState.DRAFT

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(max(0, int(debounce_ms)))
        self._timer.timeout.connect(self._save_now)
        self._saveFinished.connect(self._show_save_result)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        names = CatalogueNames(drafts.catalogue, lang)
        self.header = DraftHeader(definition, record, names, lang, self)
        self.title_label = self.header.title_label
        self.subtitle_label = self.header.subtitle_label
        self.patient_label = self.header.patient_label
        layout.addWidget(self.header)
        self.returned_banner = message_banner("returnedBanner", "error", self)
        layout.addWidget(self.returned_banner)
        self.migration_banner = MigrationBanner(record.form_version, self.changes, lang, self)
        self.migration_label = self.migration_banner.label
        self.migration_done_button = self.migration_banner.done_button
        self.migration_done_button.clicked.connect(self.acknowledge_changes)
        layout.addWidget(self.migration_banner)

        self.form = FormView(definition, record.values, lang, self)
        self.form.valuesChanged.connect(self._values_changed)
        self.form.issuesChanged.connect(self._issues_changed)
        self.form.valuesChanged.connect(self.header.show_patient)
        layout.addWidget(self.form, 1)
        # Below the form (next to its problem list and Submit), never above it: a message
        # that comes or goes there would move every field the user is looking at.
        self.message = message_banner("editorMessage", "error", self)
        layout.addWidget(self.message)
        layout.addWidget(self._build_footer())

        if record.server_issues:
            self.form.set_server_issues([Issue.from_dict(d) for d in record.server_issues])
            detail = (record.last_error or "").strip() or text("editor.returned_no_detail", lang)
            self.returned_banner.setText(text("editor.returned", lang, detail=detail))
            self.returned_banner.show()
        if self._read_only:
            self.form.set_read_only(True)
            self.submit_button.hide()
            self._show_message(text("editor.read_only", lang, state=str(record.state)), "info")
        self.header.show_patient(self.form.values())
        self._issues_changed(self.form.issues())
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self._flush_quietly)

    # Layout ----------------------------------------------------------------------------

    def _build_footer(self) -> QWidget:
        footer = QFrame(self)
        footer.setObjectName("editorFooter")
        footer.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QHBoxLayout(footer)
        layout.setContentsMargins(12, 6, 12, 6)
        self.problem_label = QLabel(footer)
        self.problem_label.setObjectName("problemCount")
        layout.addWidget(self.problem_label)
        layout.addStretch(1)
        self.save_label = QLabel(footer)
        self.save_label.setObjectName("saveState")
        self.save_label.setStyleSheet("color: #555555;")
        layout.addWidget(self.save_label)
        self.submit_button = QPushButton(text("editor.submit", self.lang), footer)
        self.submit_button.setObjectName("submitButton")
        self.submit_button.clicked.connect(self.submit)
        layout.addWidget(self.submit_button)
        return footer

    def _show_message(self, message: str, kind: str = "error", refusal: bool = False) -> None:
        self._refusal_shown = refusal
        self.message.setStyleSheet(BANNER_STYLE[kind])
        self.message.setText(message)
        self.message.setVisible(bool(message))

    # The migration's changes -----------------------------------------------------------

    def acknowledge_changes(self) -> None:
        """The user has checked the migration's changes: forget them (on the cache worker),
        then hide the banner; `changesAcknowledged` says it is done."""
        self.migration_done_button.setEnabled(False)
        drafts, message_id = self.drafts, self.message_id
        run_on_cache(
            lambda: drafts.acknowledge_changes(message_id),
            self._changes_acknowledged,
            self._acknowledge_failed,
            parent=self,
        )

    def _changes_acknowledged(self, _none: object) -> None:
        self.changes = []
        self.migration_banner.hide()
        self.changesAcknowledged.emit(True)

    def _acknowledge_failed(self, error: BaseException) -> None:
        # The banner stays, so nothing is lost unseen.
        log.error(
            "Acknowledging the changes of draft %s failed: %s",
            self.message_id,
            type(error).__name__,
        )
        self.migration_done_button.setEnabled(True)
        reason = _reason(error)
        self._show_message(fill(migration_text("done_failed", self.lang), {"reason": reason}))
        self.changesAcknowledged.emit(False)

    # Counts ----------------------------------------------------------------------------

    def _issues_changed(self, _issues: list) -> None:
        count = self.form.error_count()
        if count != self._shown_count:
            self._shown_count = count
            if count == 0:
                self.problem_label.setText(text("editor.problems.none", self.lang))
                self.problem_label.setStyleSheet("color: #1b5e20;")
            else:
                key = "editor.problems.one" if count == 1 else "editor.problems.many"
                self.problem_label.setText(text(key, self.lang, count=count))
                self.problem_label.setStyleSheet("color: #b00020;")
        if self._refusal_shown:  # keep the refusal's count true, and drop it once answered
            if count:
                self._show_refusal(count)
            else:
                self._show_message("")

    # Autosave --------------------------------------------------------------------------

    def _values_changed(self, values: dict) -> None:
        if self._read_only or self._submitted or self._submitting:
            return
        self._pending = values
        _set_text(self.save_label, text("editor.saving", self.lang))
        self._timer.start()  # restarts: saves once the typing pauses

    def _save_now(self) -> None:
        values, self._pending = self._pending, None
        if values is None or self._read_only or self._submitted:
            return
        try:
            future = self.drafts.autosaver.save(self.message_id, values)
        except Exception as error:  # the autosaver is closed (shutting down)
            self._show_save_result(_reason(error))
            return
        future.add_done_callback(self._save_done)

    def _save_done(self, future: Future[None]) -> None:
        # Runs on the autosaver's thread: hand the outcome to the GUI thread by a signal.
        error = future.exception()
        # RuntimeError: the page was closed meanwhile; the autosaver has logged any failure.
        with contextlib.suppress(RuntimeError):
            self._saveFinished.emit("" if error is None else _reason(error))

    def _show_save_result(self, reason: str) -> None:
        if reason:
            self.save_label.setText("")
            self._show_message(text("editor.save_failed", self.lang, reason=reason))
        elif self._pending is None and not self._timer.isActive():
            self.save_label.setText(text("editor.saved", self.lang))

    def flush(self) -> None:
        """Hand pending changes to the autosaver now (no wait: it writes on its thread, and
        whatever runs on the cache worker later waits for it where order matters)."""
        if self._timer.isActive():
            self._timer.stop()
        self._save_now()

    def flush_and_wait(self, timeout_ms: int = 10_000) -> None:
        """flush(), then wait until the autosaver has written everything (closing, quitting):
        in a local event loop, so the window keeps painting."""
        self.flush()
        autosaver = self.drafts.autosaver
        call_on_cache(lambda: autosaver.flush(timeout_ms / 1000), timeout_ms + 1000)

    def _flush_quietly(self) -> None:
        try:
            self.flush()
        except Exception as error:  # an event handler must not raise; say it in the page
            log.exception("Saving draft %s failed", self.message_id)
            self._show_message(text("editor.save_failed", self.lang, reason=_reason(error)))

    def hideEvent(self, event: QHideEvent) -> None:
        self._flush_quietly()
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._flush_quietly()
        super().closeEvent(event)

    # Submit ----------------------------------------------------------------------------

    def submit(self) -> bool:
        """Queue the report (on the cache worker) if the form has no errors; otherwise say
        why, in the page, and return False. True: the submit has started; `submitted` follows
        once the report is queued, `submitFinished` either way."""
        if self._read_only or self._submitted or self._submitting:
            return False
        if self.form.has_errors():
            self._refuse(self.form.error_count())
            return False
        self._timer.stop()
        values, self._pending = self.form.values(), None
        # Nothing typed meanwhile could be saved once the report is queued.
        self._set_submitting(True)
        drafts, message_id = self.drafts, self.message_id
        run_on_cache(
            lambda: drafts.submit(message_id, values),
            lambda issues: self._submit_done(values, issues),
            lambda error: self._submit_failed(values, error),
            parent=self,
        )
        return True

    def _set_submitting(self, busy: bool) -> None:
        self._submitting = busy
        self.form.set_read_only(busy)
        self.submit_button.setEnabled(not busy)

    def _submit_done(self, values: dict, issues: list[Issue]) -> None:
        self._set_submitting(False)
        errors = [issue for issue in issues if issue.is_error]
        if errors:  # the service saw what the form did not (e.g. a date passed midnight)
            self._pending = values
            self._timer.start()
            self.form.set_server_issues(errors)
            self._refuse(len(errors))
            self.submitFinished.emit(False)
            return
        self._submitted = True
        self.form.set_read_only(True)
        self.submit_button.setEnabled(False)
        self._show_message("")
        self.submitted.emit(self.message_id)
        self.submitFinished.emit(True)

    def _submit_failed(self, values: dict, error: BaseException) -> None:
        log.error("Submitting draft %s failed: %s", self.message_id, type(error).__name__)
        self._set_submitting(False)
        self._pending = values
        self._timer.start()
        self._show_message(text("editor.submit_failed", self.lang, reason=_reason(error)))
        self.submitFinished.emit(False)

    def _refuse(self, count: int) -> None:
        self.form.show_all_issues()
        self._show_refusal(count)
        self.form.focus_summary()

    def _show_refusal(self, count: int) -> None:
        key = "editor.refused.one" if count == 1 else "editor.refused.many"
        self._show_message(text(key, self.lang, count=count), refusal=True)


def _set_text(label: QLabel, new_text: str) -> None:
    # Per keystroke: skip Qt when nothing changes (see ui/form_renderer/field_widgets.py).
    if label.text() != new_text:
        label.setText(new_text)


def _reason(error: BaseException) -> str:
    """A plain sentence for the user; never the values (they identify a patient)."""
    message = getattr(error, "message", None)
    if isinstance(message, str) and message:
        return message
    if isinstance(error, CacheError | TimeoutError):  # their text is written for the user
        return str(error)
    return f"{type(error).__name__}."
