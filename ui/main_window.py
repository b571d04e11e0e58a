"""The main window: assembles navigation, the list views, the draft editor and the status bar.

It serves one signed-in clinician (desktop_app.user_session.UserSession: their bound cache,
drafts and sync) and owns no data logic: views ask their models, models ask the user's
repositories, and core events arrive through the EventBridge. Every read and write of the
cache runs on the one cache worker (ui.workers.run_on_cache). Events only schedule model
reloads: ``ModelReloader`` coalesces them (a sync pass settles up to a hundred messages per
batch, each with its own event). Signing out and quitting are the AppShell's (ui.application).
"""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QListWidget,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from desktop_app.app import Services
from desktop_app.config import APP_NAME
from desktop_app.user_session import UserSession
from ui.bridge import EventBridge
from ui.draft_editor import DraftEditor
from ui.draft_editor_host import DraftEditorHost
from ui.lazy_page import LazyPage
from ui.lock import SessionLocker
from ui.main_actions import MainActions
from ui.models.messages_model import DraftsModel, OutboxModel
from ui.models.names import CatalogueNames
from ui.models.receipts_model import ReceiptsModel
from ui.models.reloader import ModelReloader
from ui.models.reminders_model import RemindersModel
from ui.reminder_draft import ReminderDraftStarter
from ui.status_bar import StatusBar
from ui.sync_relay import SyncRelay
from ui.views.drafts_view import DraftsView
from ui.views.new_report_view import NewReportView
from ui.views.outbox_view import RELOAD_DELAY_MS, OutboxView
from ui.views.receipts_view import ReceiptsView
from ui.views.reminders_view import RemindersView

WINDOW_TITLE = "Cancer Registry Reporting"


class MainWindow(QMainWindow):
    NEW_REPORT, DRAFTS, OUTBOX, RECEIPTS, REMINDERS, STATISTICS = range(6)

    signedOut = Signal()
    closed = Signal()
    draftOpened = Signal(str)  # message id: the editor shows it
    firstLoadDone = Signal()  # the drafts are read and the first page chosen

    def __init__(
        self,
        services: Services,
        user: UserSession,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(WINDOW_TITLE)
        self.setObjectName("mainWindow")
        self.services = services
        self.user = user
        self.session = user.session
        self._signing_out = False
        self.for_someone_else = False  # set when the lock page signs out for another user
        session = self.session

        settings = services.settings
        names = CatalogueNames(services.catalogue, settings.language)
        cache, owner = user.cache, user.owner
        self.bridge = EventBridge(services.events, self)

        self.drafts_model = DraftsModel(cache.messages, owner, names, self)
        self.outbox_model = OutboxModel(
            cache.messages,
            owner,
            names,
            self,
            age_warning=timedelta(minutes=settings.outbox_age_warning_minutes),
        )
        self.receipts_model = ReceiptsModel(cache.receipts, owner, names, self)
        self.reminders_model = RemindersModel(
            cache.reminders, owner, names, self, answers=cache.reminder_answers
        )
        self.drafts_reload = ModelReloader(self.drafts_model, RELOAD_DELAY_MS, self)
        self.receipts_reload = ModelReloader(
            self.receipts_model, RELOAD_DELAY_MS, self, apply=self.receipts_model.update_rows
        )

        self.new_report_view = NewReportView(
            user.drafts, services.catalogue, names, session=session
        )
        self.drafts_view = DraftsView(self.drafts_model)
        self.drafts_view.reloader = self.drafts_reload
        # The sync panel listens to the bridge itself and reloads its rows in the background.
        self.outbox_view = OutboxView(
            self.outbox_model,
            user,
            self.bridge,
            age_warning_minutes=settings.outbox_age_warning_minutes,
            # A progress bar once a pass needs more than one request.
            progress_min_total=settings.sync_batch_size,
        )
        self.outbox_reload = self.outbox_view.reloader
        self.receipts_view = ReceiptsView(self.receipts_model, names=names, unit=session.unit)
        self.receipts_view.reloader = self.receipts_reload
        self.reminders_view = RemindersView(self.reminders_model, user)
        self.reminder_drafts = ReminderDraftStarter(self, user, services.settings.language)
        # Made when first opened: the charting library is imported only then.
        self.statistics_page = LazyPage(lambda: self._statistics_view(names))

        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.addItems(
            [
                self.tr("New report"),
                self.tr("Drafts"),
                self.tr("Outbox"),
                self.tr("Receipts"),
                self.tr("Reminders"),
                self.tr("Statistics"),
            ]
        )
        self.navigation.setObjectName("navigation")
        self.navigation.setStyleSheet("QListWidget#navigation::item { padding: 6px 10px; }")
        self.navigation.setMinimumWidth(150)
        self.stack = QStackedWidget()
        for view in (
            self.new_report_view,
            self.drafts_view,
            self.outbox_view,
            self.receipts_view,
            self.reminders_view,
            self.statistics_page,
        ):
            # Each page paints its own background: on X11 a transparent page showed the
            # stale pixels of the page shown before it (issue 11's "pages drawn through").
            view.setAutoFillBackground(True)
            self.stack.addWidget(view)

        self.editors = DraftEditorHost(user, settings, self.stack, self.navigation, self)
        self.editors.opened.connect(self.draftOpened)
        self.editors.submitted.connect(self._on_submitted)

        splitter = QSplitter()
        splitter.addWidget(self.navigation)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([170, 930])
        self.setCentralWidget(splitter)

        self.status = StatusBar()
        self.setStatusBar(self.status)
        self.relay = SyncRelay(
            self.bridge,
            self.status,
            drafts_reload=self.drafts_reload,
            receipts_reload=self.receipts_reload,
            reminders_model=self.reminders_model,
            offline_session=session.offline,
            window=self,
        )
        # Locks after idle time, on Ctrl+L and with the OS session (ui.lock.locker).
        self.locker = SessionLocker(
            self, user, idle_minutes=settings.idle_lock_minutes, title=WINDOW_TITLE
        )
        commands = MainActions(self, self.locker.lock_action)
        self.send_now_action = commands.send_now
        self.send_now_action.triggered.connect(self.send_now)
        self.change_password_action = commands.change_password
        self.change_password_action.triggered.connect(self.change_password)
        self.sign_out_action = commands.sign_out
        self.sign_out_action.triggered.connect(self.sign_out)
        self.quit_action = commands.quit
        self.quit_action.triggered.connect(self.close)

        self._connect()
        self._load_initial_state()
        self._restore_geometry()

    # -- building -------------------------------------------------------------------------

    def _connect(self) -> None:
        self.navigation.currentRowChanged.connect(self._show_page)
        self.new_report_view.draftCreated.connect(self.open_draft)
        self.new_report_view.openRequested.connect(self.open_draft)
        self.drafts_view.openRequested.connect(self.open_draft)
        self.drafts_view.draftDeleted.connect(lambda _id: self.outbox_reload.schedule())
        self.outbox_view.openDraftRequested.connect(self._open_returned_draft)
        self.outbox_view.outboxSummaryChanged.connect(self.status.set_outbox)
        self.receipts_view.statusMessage.connect(lambda text: self.status.showMessage(text, 8000))
        self.reminders_view.createDraftRequested.connect(self.create_draft_for_reminder)
        self.reminder_drafts.openRequested.connect(self.open_draft)
        self.relay.signOutRequested.connect(self.sign_out)

    def _load_initial_state(self) -> None:
        # Every list loads on the cache worker. The drafts come first (queued first) and
        # decide the first page: New report until they are in, Drafts if there are some.
        self.navigation.setCurrentRow(self.NEW_REPORT)
        self.drafts_reload.loaded.connect(self._choose_first_page)
        self.drafts_reload.reload_now()
        self.reminders_model.refresh()
        self.outbox_reload.reload_now()
        self.receipts_reload.reload_now()
        engine = self.user.sync
        if engine is not None:
            self.outbox_view.set_status(engine.status)
        # No engine, or no token to send with: nothing is sent until the user signs in.
        self.outbox_view.set_sign_in_needed(engine is None or self.session.offline)
        self.status.set_user(self.session)
        if self.session.offline:
            self.status.set_connectivity(False, self.session.notice)
            # Short enough for the status bar; why it is offline is in the Offline tooltip.
            self.status.showMessage(
                self.tr("Signed in offline: your work is saved here and sent when back online."),
                15000,
            )
        elif engine is not None and engine.online is not None:
            self.status.set_connectivity(engine.online, engine.last_error or "")
        else:
            self.status.set_connectivity(None, "")  # "Connecting…" until the first sync pass
        # The unsent count follows from the outbox's background load (outboxSummaryChanged),
        # the last sync from the reminders' (SyncRelay).

    @Slot()
    def _choose_first_page(self) -> None:
        self.drafts_reload.loaded.disconnect(self._choose_first_page)
        # Only if the user has not gone anywhere meanwhile.
        untouched = self.editor is None and self.editors.opening is None
        on_first_page = self.navigation.currentRow() == self.NEW_REPORT
        if untouched and on_first_page and self.drafts_model.rowCount():
            self.navigation.setCurrentRow(self.DRAFTS)
        self.firstLoadDone.emit()

    # -- pages and the editor -------------------------------------------------------------

    @Slot(int)
    def _show_page(self, row: int) -> None:
        if row < 0:
            return
        self.flush_editor()
        self.stack.setCurrentIndex(row)
        page = self.stack.currentWidget()
        refresh = getattr(page, "refresh", None)
        if refresh is not None:
            refresh()  # on the cache worker: the list is current whenever it is shown

    def show_page(self, row: int) -> None:
        self.navigation.setCurrentRow(row)

    @property
    def editor(self) -> DraftEditor | None:
        """The open draft's editor, if any (ui.draft_editor_host)."""
        return self.editors.editor

    @property
    def _opening(self) -> str | None:
        """The draft being read to be shown (ui.lock.locker reopens it after unlocking)."""
        return self.editors.opening

    @Slot(str)
    def open_draft(self, message_id: str) -> None:
        """Read the draft on the cache worker, then show it; `draftOpened` once shown."""
        self.editors.open(message_id)

    def flush_editor(self) -> None:
        """Hand the open form's pending changes to the autosaver now (no wait)."""
        self.editors.flush()

    def flush_editor_and_wait(self) -> None:
        """Write the open form's pending changes and wait until they are on disk."""
        self.editors.flush_and_wait()

    def close_editor(self) -> None:
        self.editors.close()

    _close_editor = close_editor  # the name ui.lock.locker knew first

    @Slot(str)
    def _on_submitted(self, message_id: str) -> None:
        self.close_editor()
        self.user.send_now()
        self.show_page(self.OUTBOX)  # reloads the outbox (in the background)
        # The full sentence on the Outbox page the user is taken to; the status bar has room
        # for a few words only next to its permanent fields.
        self.outbox_view.show_notice(
            self.tr(
                "Report submitted. It is in the outbox and is sent as soon as the registry "
                "server can be reached; its receipt then appears under Receipts."
            )
        )
        self.status.showMessage(self.tr("Report submitted."), 10000)

    @Slot(dict)
    def create_draft_for_reminder(self, reminder: dict) -> None:
        """A draft for the reminder's patient and form, unless the user opens one that exists
        (ui.reminder_draft: the cache is read and written off the GUI thread)."""
        self.reminder_drafts.start(reminder)

    @property
    def existing_box(self) -> QMessageBox | None:
        """The "report already exists" question of the last draft asked for from a reminder."""
        return self.reminder_drafts.existing_box

    # -- sync -----------------------------------------------------------------------------

    @Slot()
    def send_now(self) -> None:
        if self.user.sync is None:
            return
        self.user.send_now()
        self.status.showMessage(self.tr("Sending…"), 3000)

    @Slot(str)
    def _open_returned_draft(self, message_id: str) -> None:
        """A refused report taken back from the outbox: open it to be changed, like a draft."""
        self.drafts_reload.schedule()
        self.open_draft(message_id)

    def _statistics_view(self, names: CatalogueNames) -> QWidget:
        from ui.views.statistics_view import StatisticsView

        return StatisticsView(self.services, self.user, names, self.bridge)

    # -- leaving --------------------------------------------------------------------------

    @Slot()
    def change_password(self) -> None:
        from ui.change_password_dialog import ChangePasswordDialog

        dialog = ChangePasswordDialog(self.user, self.services.api, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    @Slot()
    def sign_out(self, *, for_someone_else: bool = False) -> None:
        """Close the window and say so: the AppShell ends the session and signs out (and,
        for someone else, leaves the sign-in's username empty)."""
        self._signing_out = True
        self.for_someone_else = for_someone_else
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.locker.stop()
        # The last edit is on disk before the session may end (AppShell: user.end()).
        self.flush_editor_and_wait()
        self._save_geometry()
        self.bridge.close()
        event.accept()
        super().closeEvent(event)
        (self.signedOut if self._signing_out else self.closed).emit()

    def _settings(self) -> QSettings:
        return QSettings(APP_NAME, APP_NAME)

    def _restore_geometry(self) -> None:
        geometry = self._settings().value("main_window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1100, 720)

    def _save_geometry(self) -> None:
        self._settings().setValue("main_window/geometry", self.saveGeometry())
