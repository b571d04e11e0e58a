"""The Statistics page: per registry, the unit's administrative figures and quality indicators
against its hospital, region, nation and target, from the registry's last answer kept in the
local cache (so it shows offline).

Built the first time the page is opened (ui.lazy_page.LazyPage): importing it imports QtCharts.
The cached answer is read and parsed off the GUI thread; only one indicator's charts exist at a
time (the one chosen in the list or on a card), so the page paints quickly however many
indicators the registry sends. "Refresh" fetches now, beside the sync engine
(ui.statistics.fetcher); the exports are written off the GUI thread too
(ui.statistics.export_actions).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.statistics.cached import CachedReport, load_cached_report
from desktop_app.statistics.model import StatisticsReport
from ui.statistics.cards import CardRow
from ui.statistics.detail import IndicatorDetail
from ui.statistics.empty_page import EmptyStatisticsPage
from ui.statistics.export_actions import ExportActions
from ui.statistics.exports import ExportFormat
from ui.statistics.fetcher import StatisticsFetcher
from ui.statistics.formatting import QtWording
from ui.statistics.indicator_list import IndicatorList, IndicatorListModel
from ui.views.common import heading, hint, notice_label
from ui.workers import run_on_cache

if TYPE_CHECKING:
    from desktop_app.app import Services
    from desktop_app.user_session import UserSession
    from ui.bridge import EventBridge
    from ui.models.names import CatalogueNames

log = logging.getLogger(__name__)


class StatisticsView(QWidget):
    EMPTY, CONTENT = range(2)

    loaded = Signal()  # the cached answer (or its absence) is on screen
    exported = Signal(str)  # a CSV or PDF was written there
    fetchFinished = Signal(bool)  # Refresh ended: True when a new answer was stored

    def __init__(
        self,
        services: Services,
        user: UserSession,
        names: CatalogueNames,
        bridge: EventBridge,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("statisticsView")
        self.services = services
        self.user = user
        self.session = user.session
        self.names = names
        self.wording = QtWording(services.settings.language)
        self.cached: CachedReport | None = None
        self.registry: str | None = None
        self.indicator_id: str | None = None
        self._loading = False
        self._reload_again = False
        self._has_loaded = False

        self.registry_box = QComboBox()
        self.registry_box.setObjectName("registrySelector")
        self.registry_box.setMinimumContentsLength(16)
        self.registry_box.currentIndexChanged.connect(self._registry_chosen)
        self.registry_label = registry_label = QLabel(self.tr("&Registry:"))
        registry_label.setBuddy(self.registry_box)
        self.refresh_button = QPushButton(self.tr("Re&fresh"))
        self.refresh_button.setToolTip(self.tr("Fetch the latest statistics from the registry"))
        self.refresh_button.clicked.connect(self.fetch_now)
        self.exports = ExportActions(
            self, names, self.wording.lang, lambda: (self.cached, self.registry)
        )
        self.exports.notice.connect(self.show_notice)
        self.exports.exported.connect(self.exported)
        self.csv_button = self.exports.csv_button
        self.pdf_button = self.exports.pdf_button

        top = QHBoxLayout()
        top.addWidget(heading(self.tr("Statistics")))
        top.addStretch()
        top.addWidget(registry_label)
        top.addWidget(self.registry_box)
        top.addWidget(self.refresh_button)
        top.addWidget(self.csv_button)
        top.addWidget(self.pdf_button)

        self.info = hint()
        self.info.setObjectName("statisticsInfo")
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice = notice_label()

        self.stack = QStackedWidget()
        self.empty_page = EmptyStatisticsPage()
        self.empty_title = self.empty_page.title
        self.empty_text = self.empty_page.text
        self.empty_refresh = self.empty_page.refresh_button
        self.empty_refresh.clicked.connect(self.fetch_now)
        self.stack.addWidget(self.empty_page)
        self.stack.addWidget(self._build_content_page())

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.info)
        layout.addWidget(self.notice)
        layout.addWidget(self.stack, 1)

        self._show_empty(self.tr("Reading the statistics saved on this computer…"), "")
        bridge.statisticsUpdated.connect(self._on_statistics_updated)
        self.fetcher = StatisticsFetcher(user, self)
        self.fetcher.busyChanged.connect(self._set_fetching)
        self.fetcher.finished.connect(self._fetch_finished)

    # -- building -------------------------------------------------------------------------

    def _build_content_page(self) -> QWidget:
        page = QWidget()
        self.cards = CardRow()
        self.cards.setObjectName("administrativeCards")
        self.cards.indicatorChosen.connect(self.select_indicator)
        self.list_model = IndicatorListModel(self.wording, self)
        self.indicator_list = IndicatorList(self.list_model)
        self.indicator_list.indicatorChosen.connect(self._show_indicator)
        self.detail = IndicatorDetail(self.wording)
        self.detail_scroll = QScrollArea()
        self.detail_scroll.setObjectName("indicatorDetail")
        self.detail_scroll.setWidgetResizable(True)
        self.detail_scroll.setWidget(self.detail)
        self.detail_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.indicator_list)
        splitter.addWidget(self.detail_scroll)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([400, 600])
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.cards)
        layout.addWidget(splitter, 1)
        return page

    # -- loading from the cache -----------------------------------------------------------

    @property
    def is_loaded(self) -> bool:
        """The cached answer (or its absence) has been read and shown at least once."""
        return self._has_loaded

    def refresh(self) -> None:
        """Read the cached answer again (off the GUI thread) and show it."""
        if self._loading:
            self._reload_again = True
            return
        self._loading = True
        cache, owner = self.user.cache, self.user.owner
        run_on_cache(
            lambda: load_cached_report(cache, owner),
            self._apply,
            self._load_failed,
            parent=self,
        )

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._has_loaded and not self._loading:
            self.refresh()

    def _on_statistics_updated(self, _as_of: str) -> None:
        self.refresh()

    def _load_failed(self, error: BaseException) -> None:
        self._loading = False
        log.error("Reading the cached statistics failed: %s", type(error).__name__)
        self._show_empty(
            self.tr("The saved statistics cannot be read"),
            self.tr("Press Refresh to fetch them again from the registry."),
        )
        self._finish_load()

    def _apply(self, cached: CachedReport | None) -> None:
        self._loading = False
        self.cached = cached
        report = cached.report if cached else None
        if cached is None:
            self._show_empty(
                self.tr("No statistics on this computer yet"),
                self.tr(
                    "The registry publishes your unit's statistics once a day. They are "
                    "fetched when you are signed in online; press the button to fetch them now."
                ),
            )
        elif report is None or report.is_empty:
            self._show_empty(
                self.tr("The registry has not computed statistics for your unit yet"),
                self.tr(
                    "Statistics are computed every night from the reports the registry has "
                    "received. Last asked {0}; press the button to ask again."
                ).format(self.wording.datetime(cached.fetched_at)),
            )
        else:
            self._show_report(report)
        self._finish_load()

    def _finish_load(self) -> None:
        self._has_loaded = True
        self.loaded.emit()
        if self._reload_again:
            self._reload_again = False
            self.refresh()

    def _show_empty(self, title: str, text: str) -> None:
        self.empty_page.show_reason(title, text)
        self.stack.setCurrentIndex(self.EMPTY)
        self.registry_box.blockSignals(True)
        self.registry_box.clear()
        self.registry_box.blockSignals(False)
        for widget in (self.registry_label, self.registry_box, self.csv_button, self.pdf_button):
            widget.setVisible(False)
        self._set_info()

    def _show_report(self, report: StatisticsReport) -> None:
        registries = [r.registry for r in report.registries if r.indicators]
        wanted = self.registry if self.registry in registries else report.default_registry()
        if wanted not in registries:
            wanted = registries[0]
        self.registry_box.blockSignals(True)
        self.registry_box.clear()
        for registry in registries:
            self.registry_box.addItem(self.names.registry(registry), registry)
        self.registry_box.setCurrentIndex(registries.index(wanted))
        self.registry_box.blockSignals(False)
        for widget in (self.registry_label, self.registry_box, self.csv_button, self.pdf_button):
            widget.setVisible(True)
        self.stack.setCurrentIndex(self.CONTENT)
        self._set_info()
        self.show_registry(wanted)

    def _set_info(self) -> None:
        cached = self.cached
        if cached is None:
            self.info.setText("")
            return
        w, report = self.wording, cached.report
        parts = []
        if report.as_of is not None:
            parts.append(w.text("as_of", date=w.date(report.as_of)))
        if report.period_from and report.period_to:
            start, end = w.date(report.period_from), w.date(report.period_to)
            parts.append(w.text("period", start=start, end=end))
        parts.append(w.text("fetched", when=w.datetime(cached.fetched_at)))
        unit = report.unit
        where = ", ".join(n for n in (unit.name, unit.hospital_name, unit.region_name) if n)
        self.info.setText(" · ".join(parts) + (f"\n{where}" if where else ""))

    # -- registry and indicator -----------------------------------------------------------

    def _registry_chosen(self, index: int) -> None:
        registry = self.registry_box.itemData(index)
        if registry:
            self.show_registry(registry)

    def show_registry(self, registry: str) -> None:
        report = self.cached.report if self.cached else None
        stats = report.registry(registry) if report else None
        if report is None or stats is None:
            return
        index = self.registry_box.findData(registry)
        if index >= 0 and index != self.registry_box.currentIndex():
            self.registry_box.setCurrentIndex(index)  # comes back here through the signal
            return
        changed = registry != self.registry
        self.registry = registry
        # Administrative figures as cards, the quality indicators in the list (all of them
        # in the list when a registry has only one kind).
        cards = stats.administrative if stats.clinical else []
        self.cards.set_indicators(cards, report.min_cell, self.wording)
        self.list_model.set_indicators(stats.clinical or stats.indicators, report.min_cell)
        keep = None if changed else self.indicator_id
        first = (stats.clinical or stats.indicators)[0].id
        self.select_indicator(keep if keep and stats.indicator(keep) else first)

    def select_indicator(self, indicator_id: str) -> None:
        """Show the indicator's charts, selecting it in the list (or on its card)."""
        if not self.indicator_list.select_indicator(indicator_id):
            self.indicator_list.clearSelection()  # a card's figure: not in the list
            self.indicator_list.setCurrentIndex(self.list_model.index(-1, -1))
        # Selecting the row already current emits nothing: show it in any case (new data).
        self._show_indicator(indicator_id)

    def _show_indicator(self, indicator_id: str) -> None:
        report = self.cached.report if self.cached else None
        stats = report.registry(self.registry or "") if report else None
        indicator = stats.indicator(indicator_id) if stats else None
        if report is None or indicator is None:
            return
        if self.detail.indicator is indicator:
            return  # already on screen (selection and a card click both ask)
        self.indicator_id = indicator_id
        self.detail.show_indicator(report, indicator)
        self.detail_scroll.verticalScrollBar().setValue(0)
        self.cards.set_current(indicator_id)

    # -- Refresh (fetch now) --------------------------------------------------------------

    def fetch_now(self) -> None:
        """Fetch the statistics from the registry now, on a background thread."""
        self.fetcher.fetch()

    def _set_fetching(self, fetching: bool) -> None:
        for button in (self.refresh_button, self.empty_refresh):
            button.setEnabled(not fetching)
        self.refresh_button.setText(self.tr("Refreshing…") if fetching else self.tr("Re&fresh"))

    def _fetch_finished(self, stored: bool, text: str) -> None:
        # A new answer is shown through StatisticsUpdated, which the fetch published.
        self.show_notice(text)
        self.fetchFinished.emit(stored)

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    # -- exports --------------------------------------------------------------------------

    def ask_export(self, kind: ExportFormat) -> None:
        """Ask where to save the current registry's statistics (window-modal file dialog)."""
        self.exports.ask(kind)

    def export(self, kind: ExportFormat, path: Path, registry: str | None = None) -> None:
        """Write the registry's statistics to `path` in the background."""
        self.exports.export(kind, path, registry)
