"""The page's "Refresh": fetch the statistics now beside the sync engine (the request on a
background thread, the answer stored on the cache worker: desktop_app.sync.statistics_step),
and word what came of it."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from desktop_app.sync.api_errors import ApiError, AuthError, NetworkError, ServerError
from desktop_app.sync.statistics_step import store_statistics
from desktop_app.user_session import UserSession
from ui.workers import run_in_background, run_on_cache

log = logging.getLogger(__name__)


class StatisticsFetcher(QObject):
    """`fetch()` once at a time; `finished(stored, sentence)` on the GUI thread, where the
    sentence (maybe empty) says what the user should know. The fetch publishes
    StatisticsUpdated, on which the page reads the cache again."""

    busyChanged = Signal(bool)
    finished = Signal(bool, str)

    def __init__(self, user: UserSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.user = user
        self.session = user.session
        self.busy = False

    def fetch(self) -> None:
        if self.busy:
            return
        if self.session.offline:
            self.finished.emit(
                False,
                self.tr(
                    "You are signed in offline, so the statistics cannot be fetched now. "
                    "Sign out and sign in again when the registry server can be reached."
                ),
            )
            return
        self._set_busy(True)
        api, session = self.user.services.api, self.session

        def fetch() -> object:
            token = session.token()  # the keyring: not on the GUI thread either
            if token is None:
                raise AuthError("Not signed in.", status=401)
            return api.statistics(token)

        run_in_background(fetch, self._store, self._failed, parent=self)

    def _store(self, payload: object) -> None:
        user = self.user
        run_on_cache(
            lambda: store_statistics(payload, user.owner, user.cache, user.services.events),
            self._fetched,
            self._failed,
            parent=self,
        )

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busyChanged.emit(busy)

    def _fetched(self, payload: dict) -> None:
        self._set_busy(False)
        text = (
            ""
            if payload.get("as_of")
            else self.tr("The registry has no statistics for your unit yet.")
        )
        self.finished.emit(True, text)

    def _failed(self, error: BaseException) -> None:
        self._set_busy(False)
        if isinstance(error, AuthError):
            text = self.tr(
                "The registry server did not accept your sign-in. Sign out and sign in again "
                "to fetch the statistics."
            )
        elif isinstance(error, NetworkError):
            text = self.tr(
                "The registry server cannot be reached. The statistics saved on this computer "
                "are shown."
            )
        elif isinstance(error, ServerError):
            text = self.tr("The registry server could not answer just now. Try again later.")
        elif isinstance(error, ApiError):
            text = self.tr("The registry server refused the request: {0}").format(error.message)
        else:
            log.error("Fetching statistics failed: %s", type(error).__name__)
            text = self.tr("The statistics could not be fetched ({0}).").format(
                type(error).__name__
            )
        self.finished.emit(False, text)
