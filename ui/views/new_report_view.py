"""New report: pick a registry, then one of its forms, then create a draft and open it."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.drafts import DraftService
from desktop_app.forms import Catalogue, FormDefinition
from ui.models.names import CatalogueNames
from ui.views.common import heading, hint

log = logging.getLogger(__name__)

KEY_ROLE = Qt.ItemDataRole.UserRole


class NewReportView(QWidget):
    draftCreated = Signal(str)  # message id

    def __init__(
        self,
        drafts: DraftService,
        catalogue: Catalogue,
        names: CatalogueNames,
        owner: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._drafts = drafts
        self._catalogue = catalogue
        self._names = names
        self._owner = owner

        self.registry_list = QListWidget()
        self.registry_list.setObjectName("registryList")
        self.form_list = QListWidget()
        self.form_list.setObjectName("formList")
        self.create_button = QPushButton(self.tr("&Create draft"))
        self.create_button.setDefault(True)

        self.registry_list.currentItemChanged.connect(self._show_forms)
        self.form_list.currentItemChanged.connect(self._update_state)
        self.form_list.itemActivated.connect(lambda _item: self.create_draft())
        self.create_button.clicked.connect(self.create_draft)

        lists = QGridLayout()
        lists.addWidget(QLabel(self.tr("1. Registry")), 0, 0)
        lists.addWidget(QLabel(self.tr("2. Form")), 0, 1)
        lists.addWidget(self.registry_list, 1, 0)
        lists.addWidget(self.form_list, 1, 1)
        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(self.create_button)

        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.tr("New report")))
        layout.addWidget(
            hint(
                self.tr(
                    "Choose the registry and the form for the step of the patient's pathway you "
                    "are reporting. The draft is saved on this computer as you type."
                )
            )
        )
        layout.addLayout(lists)
        layout.addLayout(buttons)

        self._load_registries()

    def _load_registries(self) -> None:
        registries = sorted(
            {definition.registry for definition in self._catalogue.forms()},
            key=self._names.registry,
        )
        for registry in registries:
            item = QListWidgetItem(self._names.registry(registry))
            item.setData(KEY_ROLE, registry)
            self.registry_list.addItem(item)
        if registries:
            self.registry_list.setCurrentRow(0)
        self._update_state()

    def _show_forms(self, current: QListWidgetItem | None, _previous: object = None) -> None:
        self.form_list.clear()
        if current is None:
            return
        registry = current.data(KEY_ROLE)
        latest: dict[str, FormDefinition] = {}
        for definition in self._catalogue.forms():
            if definition.registry != registry:
                continue
            known = latest.get(definition.form)
            if known is None or definition.version > known.version:
                latest[definition.form] = definition
        for form, definition in latest.items():
            item = QListWidgetItem(self._names.form(registry, form, definition.version))
            item.setData(KEY_ROLE, form)
            self.form_list.addItem(item)
        if latest:
            self.form_list.setCurrentRow(0)
        self._update_state()

    def _update_state(self, *_args: object) -> None:
        self.create_button.setEnabled(self.form_list.currentItem() is not None)

    def select(self, registry: str, form: str) -> bool:
        """Select a registry and form (True if both exist)."""
        for row in range(self.registry_list.count()):
            if self.registry_list.item(row).data(KEY_ROLE) == registry:
                self.registry_list.setCurrentRow(row)
                break
        else:
            return False
        for row in range(self.form_list.count()):
            if self.form_list.item(row).data(KEY_ROLE) == form:
                self.form_list.setCurrentRow(row)
                return True
        return False

    def create_draft(self) -> None:
        registry_item = self.registry_list.currentItem()
        form_item = self.form_list.currentItem()
        if registry_item is None or form_item is None:
            return
        try:
            record = self._drafts.new_draft(
                self._owner, registry_item.data(KEY_ROLE), form_item.data(KEY_ROLE)
            )
        except Exception as exc:
            log.exception("Creating a draft failed")
            QMessageBox.warning(
                self,
                self.tr("Draft not created"),
                self.tr(
                    "The draft could not be created on this computer ({0}). Try again; if it "
                    "keeps failing, tell your IT department."
                ).format(type(exc).__name__),
            )
            return
        self.draftCreated.emit(record.id)
