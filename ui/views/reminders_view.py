"""Reminders: reports the registry expects from the unit, as last fetched (works offline).

The user makes a draft for one, or answers it "not ours" / "patient moved" with a reason; an
answered reminder leaves the list at once and the answer waits in the cache for the sync."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QWidget

from desktop_app.reminder_answers import record_answer
from desktop_app.user_session import UserSession
from ui.models.formatting import local_time
from ui.models.reminders_model import RemindersModel, is_overdue
from ui.views.common import ListPage
from ui.views.reminder_answer_dialog import ReminderAnswerDialog


class RemindersView(ListPage):
    createDraftRequested = Signal(dict)  # the reminder

    def __init__(
        self,
        model: RemindersModel,
        user: UserSession | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """`user`: the signed-in clinician, whose cache stores answers (on the cache worker)
        and whose `send_now` sends them; without it the page only lists and makes drafts."""
        super().__init__(
            model, table_name="remindersTable", sort_column=RemindersModel.COL_DUE, parent=parent
        )
        self.user = user
        self.reloader = model.reloader
        self.answer_dialog: ReminderAnswerDialog | None = None
        # "Your answer is saved ... sent with the next sync": shown until nothing waits.
        self._waiting_notice = False
        self.title_label.setText(self.tr("Reminders"))
        self.table.activated.connect(lambda _index: self.create_draft_for_selected())
        self.fetched_label = QLabel()
        self.fetched_label.setObjectName("remindersFetched")
        self.add_above_summary(self.fetched_label)
        self.answers_label = QLabel()
        self.answers_label.setObjectName("remindersAnswers")
        self.answers_label.setWordWrap(True)
        self.add_above_summary(self.answers_label)
        self.detail_label = QLabel()
        self.detail_label.setObjectName("reminderDetail")
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._layout.insertWidget(self._layout.indexOf(self.table) + 1, self.detail_label)
        self.create_button = self.add_button(
            self.tr("&Create draft for this reminder"), self.create_draft_for_selected
        )
        self.not_ours_button = self.add_button(
            self.tr("&Not ours…"), lambda: self.answer_selected("not_ours")
        )
        self.not_ours_button.setToolTip(
            self.tr("Tell the registry that this report is not your unit's to send")
        )
        self.moved_button = self.add_button(
            self.tr("&Patient moved…"), lambda: self.answer_selected("patient_moved")
        )
        self.moved_button.setToolTip(
            self.tr("Tell the registry that the patient moved to another hospital")
        )
        model.loaded.connect(self._update_state)
        self._update_state()

    def create_draft_for_selected(self) -> None:
        reminder = self.table.selected_row()
        if reminder is not None:
            self.createDraftRequested.emit(dict(reminder))

    def answer_selected(self, answer: str) -> ReminderAnswerDialog | None:
        """Open the answer dialog for the selected reminder (window-modal, not blocking)."""
        reminder = self.table.selected_row()
        if reminder is None or self.user is None:
            return None
        cache, owner, reminder_id = self.user.cache, self.user.owner, str(reminder["id"])
        dialog = ReminderAnswerDialog(
            dict(reminder),
            answer,
            self.model.describe(reminder),
            lambda reason: record_answer(cache, owner, reminder_id, answer, reason),
            self,
        )
        dialog.answered.connect(self._answered)
        dialog.finished.connect(self._dialog_closed)
        self.answer_dialog = dialog
        dialog.open()
        return dialog

    def _dialog_closed(self) -> None:
        dialog, self.answer_dialog = self.answer_dialog, None
        if dialog is not None:
            dialog.deleteLater()

    def _answered(self, _reminder_id: str, _answer: str) -> None:
        self.show_notice(
            self.tr(
                "Your answer is saved on this computer and sent to the registry with the next "
                "sync. The reminder is no longer listed."
            )
        )
        self._waiting_notice = True
        self.model.refresh()  # hides it (read in the background)
        if self.user is not None:
            self.user.send_now()

    def _update_state(self, *_args: object) -> None:
        reminder = self.table.selected_row()
        selected = reminder is not None
        self.detail_label.setText(self.model.describe(reminder) if reminder is not None else "")
        self.detail_label.setVisible(selected)
        self.create_button.setEnabled(selected)
        for button in (self.not_ours_button, self.moved_button):
            button.setEnabled(selected and self.user is not None)
        model = self.model
        fetched_at = model.fetched_at
        if fetched_at is None:
            self.fetched_label.setText(
                self.tr(
                    "Last fetched: never. Reminders are fetched when the server can be reached."
                )
            )
        else:
            self.fetched_label.setText(self.tr("Last fetched: {0}").format(local_time(fetched_at)))
        self.answers_label.setText(self._answers_text())
        self.answers_label.setVisible(bool(self.answers_label.text()))
        if self._waiting_notice and model.waiting == 0:
            # Sent (or refused, said above): "sent with the next sync" is no longer true.
            self._waiting_notice = False
            self.show_notice("")
        count = model.rowCount()
        overdue = sum(1 for row in model.rows if is_overdue(row))
        if count == 0:
            text = self.tr("No open reminders for your unit.")
        elif count == 1:
            text = self.tr("1 report the registry expects from your unit.")
        else:
            text = self.tr("{0} reports the registry expects from your unit.").format(count)
        if overdue:
            text += " " + self.tr("{0} overdue.").format(overdue)
        self.summary.setText(text)

    def _answers_text(self) -> str:
        parts = []
        waiting = self.model.waiting
        if waiting == 1:
            parts.append(self.tr("1 answer is waiting to be sent to the registry."))
        elif waiting:
            parts.append(
                self.tr("{0} answers are waiting to be sent to the registry.").format(waiting)
            )
        for refused in self.model.refused[:3]:
            parts.append(
                self.tr("The registry did not take an answer: {0}").format(refused.last_error)
            )
        return "\n".join(parts)
