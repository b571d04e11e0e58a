"""The main window: assembles navigation, the list views, the draft editor and the status bar.

It owns no data logic: views ask their models, models ask the cache's repositories, and core
events arrive through the EventBridge. Events only schedule model reloads: ``ModelReloader``
coalesces them and reads the rows off the GUI thread (a sync pass settles up to a hundred
messages per batch, each with its own event).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QListWidget,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from desktop_app.app import Services
from desktop_app.auth import Session
from desktop_app.config import APP_NAME
from desktop_app.sync.engine import SyncEngine
from ui.bridge import EventBridge
from ui.draft_editor import DraftEditor
from ui.lazy_page import LazyPage
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
from ui.workers import wait_for_background_work

log = logging.getLogger(__name__)

WINDOW_TITLE = "Cancer Registry Reporting"


class MainWindow(QMainWindow):
    NEW_REPORT, DRAFTS, OUTBOX, RECEIPTS, REMINDERS, STATISTICS = range(6)

    signedOut = Signal()
    closed = Signal()

    def __init__(
        self,
        services: Services,
        session: Session,
        engine: SyncEngine | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(WINDOW_TITLE)
        self.setObjectName("mainWindow")
        self.services = services
        self.session = session
        self.engine = engine
        self.owner = session.username
        self.editor: DraftEditor | None = None
        self._signing_out = False

        settings = services.settings
        names = CatalogueNames(services.catalogue, settings.language)
        cache = services.cache
        self.bridge = EventBridge(services.events, self)

        self.drafts_model = DraftsModel(cache.messages, self.owner, names, self)
        self.outbox_model = OutboxModel(
            cache.messages,
            self.owner,
            names,
            self,
            age_warning=timedelta(minutes=settings.outbox_age_warning_minutes),
        )
        self.receipts_model = ReceiptsModel(cache.receipts, self.owner, names, self)
        self.reminders_model = RemindersModel(
            cache.reminders, self.owner, names, self, answers=cache.reminder_answers
        )
        self.drafts_reload = ModelReloader(self.drafts_model, RELOAD_DELAY_MS, self)
        self.receipts_reload = ModelReloader(
            self.receipts_model, RELOAD_DELAY_MS, self, apply=self.receipts_model.update_rows
        )

        self.new_report_view = NewReportView(
            services.drafts, services.catalogue, names, self.owner, session=session
        )
        self.drafts_view = DraftsView(self.drafts_model)
        # The sync panel listens to the bridge itself and reloads its rows in the background.
        self.outbox_view = OutboxView(
            self.outbox_model,
            services,
            self.bridge,
            age_warning_minutes=settings.outbox_age_warning_minutes,
            # A progress bar once a pass needs more than one request.
            progress_min_total=settings.sync_batch_size,
        )
        self.outbox_reload = self.outbox_view.reloader
        self.receipts_view = ReceiptsView(self.receipts_model, names=names, unit=session.unit)
        self.receipts_view.reloader = self.receipts_reload
        self.reminders_view = RemindersView(self.reminders_model, services)
        self.reminder_drafts = ReminderDraftStarter(self, services, session)
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
            self.stack.addWidget(view)

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
        self._build_actions()

        self._connect()
        self._load_initial_state()
        self.navigation.setCurrentRow(self.DRAFTS if self.drafts_model.rowCount() else 0)
        self._restore_geometry()

    # -- building -------------------------------------------------------------------------

    def _build_actions(self) -> None:
        self.send_now_action = QAction(self.tr("&Send now"), self)
        self.send_now_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.send_now_action.setStatusTip(self.tr("Send the reports in the outbox now"))
        self.send_now_action.triggered.connect(self.send_now)
        self.sign_out_action = QAction(self.tr("Sign &out"), self)
        self.sign_out_action.triggered.connect(self.sign_out)
        self.quit_action = QAction(self.tr("&Quit"), self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)

        menu = self.menuBar().addMenu(self.tr("&File"))
        menu.addAction(self.send_now_action)
        menu.addSeparator()
        menu.addAction(self.sign_out_action)
        menu.addAction(self.quit_action)

        toolbar = QToolBar(self.tr("Main"))
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.addAction(self.send_now_action)
        toolbar.addAction(self.sign_out_action)
        self.addToolBar(toolbar)

    def _connect(self) -> None:
        self.navigation.currentRowChanged.connect(self._show_page)
        self.new_report_view.draftCreated.connect(self.open_draft)
        self.new_report_view.openRequested.connect(self.open_draft)
        self.drafts_view.openRequested.connect(self.open_draft)
        self.outbox_view.openDraftRequested.connect(self._open_returned_draft)
        self.outbox_view.outboxSummaryChanged.connect(self.status.set_outbox)
        self.receipts_view.statusMessage.connect(lambda text: self.status.showMessage(text, 8000))
        self.reminders_view.createDraftRequested.connect(self.create_draft_for_reminder)
        self.reminder_drafts.openRequested.connect(self.open_draft)
        self.relay.signOutRequested.connect(self.sign_out)

    def _load_initial_state(self) -> None:
        # Drafts decide the first page and are few. Reminders, the outbox and the receipts
        # load in the background.
        self.drafts_model.refresh()
        self.reminders_model.refresh()
        self.outbox_reload.reload_now()
        self.receipts_reload.reload_now()
        if self.engine is not None:
            self.outbox_view.set_status(self.engine.status)
        # No engine, or no token to send with: nothing is sent until the user signs in.
        self.outbox_view.set_sign_in_needed(self.engine is None or self.session.offline)
        self.status.set_user(self.session)
        if self.session.offline:
            self.status.set_connectivity(False, self.session.notice)
            # Short enough for the status bar; why it is offline is in the Offline tooltip.
            self.status.showMessage(
                self.tr("Signed in offline: your work is saved here and sent when back online."),
                15000,
            )
        elif self.engine is not None and self.engine.online is not None:
            self.status.set_connectivity(self.engine.online, self.engine.last_error or "")
        else:
            self.status.set_connectivity(None, "")  # "Connecting…" until the first sync pass
        # The unsent count follows from the outbox's background load (outboxSummaryChanged),
        # the last sync from the reminders' (SyncRelay).

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
            refresh()  # cheap local reads: the list is current whenever it is shown

    def show_page(self, row: int) -> None:
        self.navigation.setCurrentRow(row)

    @Slot(str)
    def open_draft(self, message_id: str) -> None:
        self._close_editor()
        try:
            editor = DraftEditor(
                self.services.drafts,
                message_id,
                self.services.settings.language,
                self.services.settings.autosave_debounce_ms,
                self,
            )
        except Exception as exc:
            log.exception("Opening a draft failed")
            QMessageBox.warning(
                self,
                self.tr("Draft cannot be opened"),
                getattr(exc, "message", None)
                or self.tr("The draft cannot be opened ({0}).").format(type(exc).__name__),
            )
            return
        editor.submitted.connect(self._on_submitted)
        self.editor = editor
        self.stack.addWidget(editor)
        # No navigation entry is current while the form is open; choosing one leaves the form.
        self.navigation.blockSignals(True)
        self.navigation.setCurrentRow(-1)
        self.navigation.blockSignals(False)
        self.stack.setCurrentWidget(editor)

    def flush_editor(self) -> None:
        """Write the open form's pending changes to the cache now."""
        if self.editor is not None:
            try:
                self.editor.flush()
            except Exception:
                log.exception("Saving the open draft failed")

    def _close_editor(self) -> None:
        if self.editor is None:
            return
        self.flush_editor()
        editor, self.editor = self.editor, None
        self.stack.removeWidget(editor)
        editor.deleteLater()

    @Slot(str)
    def _on_submitted(self, message_id: str) -> None:
        self._close_editor()
        self.services.send_now()
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
        if self.services.sync is None:
            return
        self.services.send_now()
        self.status.showMessage(self.tr("Sending…"), 3000)

    @Slot(str)
    def _open_returned_draft(self, message_id: str) -> None:
        """A refused report taken back from the outbox: open it to be changed, like a draft."""
        self.drafts_reload.schedule()
        self.open_draft(message_id)

    def _statistics_view(self, names: CatalogueNames) -> QWidget:
        from ui.views.statistics_view import StatisticsView

        return StatisticsView(self.services, self.session, names, self.bridge)

    # -- leaving --------------------------------------------------------------------------

    @Slot()
    def sign_out(self) -> None:
        """End the session: stop syncing, forget the token, hand back to the sign-in dialog."""
        self._signing_out = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.flush_editor()
        self._save_geometry()
        self.bridge.close()
        if self._signing_out:
            self.services.stop_sync()
            self.services.sessions.sign_out(self.session)
            log.info("Signed out")
        else:
            wait_for_background_work()
            self.services.shutdown()
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
