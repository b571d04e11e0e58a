"""The page's "Export CSV…" and "Export PDF…": the buttons, the save dialog they open, and the
file written off the GUI thread (what is written: ui.statistics.exports)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDir, QObject, Signal
from PySide6.QtWidgets import QFileDialog, QPushButton, QWidget

from ui.statistics.exports import ExportFormat, default_file_name, write_export
from ui.statistics.formatting import QtWording
from ui.workers import run_in_background

if TYPE_CHECKING:
    from desktop_app.statistics.cached import CachedReport
    from ui.models.names import CatalogueNames

log = logging.getLogger(__name__)


class ExportActions(QObject):
    exported = Signal(str)  # a CSV or PDF was written there
    notice = Signal(str)  # what came of an export, for the page's notice line

    def __init__(
        self,
        page: QWidget,
        names: CatalogueNames,
        lang: str,
        current: Callable[[], tuple[CachedReport | None, str | None]],
    ) -> None:
        """`current`: the page's cached answer and the registry it shows, read each time an
        export is asked for or written (a refresh may come in while the dialog is open)."""
        super().__init__(page)
        self._page = page
        self._names = names
        self._lang = lang
        self._current = current
        self.csv_button = QPushButton(self.tr("Export &CSV…"))
        self.csv_button.clicked.connect(lambda: self.ask(ExportFormat.CSV))
        self.pdf_button = QPushButton(self.tr("Export &PDF…"))
        self.pdf_button.clicked.connect(lambda: self.ask(ExportFormat.PDF))

    def ask(self, kind: ExportFormat) -> None:
        """Ask where to save the current registry's statistics (window-modal file dialog)."""
        cached, registry = self._current()
        report = cached.report if cached else None
        if report is None or registry is None:
            return
        is_csv = kind is ExportFormat.CSV
        dialog = QFileDialog(
            self._page,
            self.tr("Export statistics as CSV") if is_csv else self.tr("Export statistics as PDF"),
            str(Path(QDir.homePath()) / default_file_name(report, registry, kind)),
            self.tr("CSV files (*.csv)") if is_csv else self.tr("PDF files (*.pdf)"),
        )
        dialog.setObjectName("exportCsvDialog" if is_csv else "exportPdfDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(kind.value)
        dialog.fileSelected.connect(lambda path: self.export(kind, Path(path), registry))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()  # window-modal, without blocking the event loop

    def export(self, kind: ExportFormat, path: Path, registry: str | None = None) -> None:
        """Write the registry's statistics to `path` in the background."""
        cached, current_registry = self._current()
        registry = registry or current_registry
        if cached is None or registry is None:
            return
        # A wording of its own for the worker thread (its own QLocale), made here.
        wording = QtWording(self._lang)
        name = self._names.registry(registry)
        run_in_background(
            lambda: write_export(kind, cached, registry, name, path, wording),
            self._exported,
            lambda error: self._export_failed(path, error),
            parent=self,
        )

    def _exported(self, path: Path) -> None:
        self.notice.emit(self.tr("Statistics saved as {0}").format(path))
        self.exported.emit(str(path))

    def _export_failed(self, path: Path, error: BaseException) -> None:
        log.error("Exporting statistics failed: %s", type(error).__name__)
        self.notice.emit(
            self.tr(
                "The statistics could not be saved as {0} ({1}). Choose another folder."
            ).format(path, error)
        )
