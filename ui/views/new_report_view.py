"""New report: 1. registry, 2. form (grouped by pathway step), 3. patient, then Create draft.

Before a draft is made, the patient's earlier messages of the same form are looked up; if
there are any the user chooses to open one of them, create a new one anyway, or cancel.
Enter moves on from each step to the next.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.auth import Session
from desktop_app.drafts import DraftService, ExistingReports
from desktop_app.forms import Catalogue
from local_cache import MessageRecord
from ui.models.names import CatalogueNames
from ui.views.common import heading, hint
from ui.views.existing_report_box import ask_about_existing
from ui.views.patient_step import PatientChoice, PatientStep
from ui.workers import run_on_cache

log = logging.getLogger(__name__)

KEY_ROLE = Qt.ItemDataRole.UserRole
_HEADER_COLOUR = QColor("#1d3557")

# (group title, [(key, text, tooltip)])
Groups = Sequence[tuple[str, Sequence[tuple[str, str, str]]]]


class GroupedList(QTreeView):
    """A one-level list under group headings; headings cannot be chosen, so the arrow keys
    move from choice to choice."""

    chosen = Signal(str)  # Enter or double-click on a choice

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.source = QStandardItemModel(self)
        self.setModel(self.source)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setItemsExpandable(False)
        self.setIndentation(12)
        self.setUniformRowHeights(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.activated.connect(self._activated)

    def set_groups(self, groups: Groups) -> None:
        self.source.clear()
        for title, choices in groups:
            if not choices:
                continue
            header = QStandardItem(title)
            header.setFlags(Qt.ItemFlag.NoItemFlags)  # not current, not selectable
            font = header.font()
            font.setBold(True)
            header.setFont(font)
            header.setForeground(QBrush(_HEADER_COLOUR))
            for key, text, tooltip in choices:
                item = QStandardItem(text)
                item.setData(key, KEY_ROLE)
                item.setToolTip(tooltip)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                header.appendRow(item)
            self.source.appendRow(header)
        self.expandAll()
        # Wide enough for the longest title: a clipped registry name is a guess for the user.
        scrollbar = self.verticalScrollBar().sizeHint().width()
        self.setMinimumWidth(self.sizeHintForColumn(0) + 2 * self.frameWidth() + scrollbar)

    def groups(self) -> dict[str, list[str]]:
        """{heading: [choice key, ...]} as shown."""
        return {
            header.text(): [header.child(row).data(KEY_ROLE) for row in range(header.rowCount())]
            for header in self._headers()
        }

    def keys(self) -> list[str]:
        return [key for keys in self.groups().values() for key in keys]

    def text_of(self, key: str) -> str | None:
        index = self._index_of(key)
        return None if index is None else index.data()

    def current_key(self) -> str | None:
        index = self.currentIndex()
        return index.data(KEY_ROLE) if index.isValid() else None

    def select_key(self, key: str | None) -> bool:
        index = self._index_of(key) if key is not None else None
        if index is None:
            return False
        self.setCurrentIndex(index)
        self.scrollTo(index)
        return True

    def select_first(self) -> None:
        keys = self.keys()
        if keys:
            self.select_key(keys[0])

    def _headers(self) -> list[QStandardItem]:
        return [self.source.item(row) for row in range(self.source.rowCount())]

    def _index_of(self, key: str) -> QModelIndex | None:
        for header in self._headers():
            for row in range(header.rowCount()):
                if header.child(row).data(KEY_ROLE) == key:
                    return header.child(row).index()
        return None

    def _activated(self, index: QModelIndex) -> None:
        key = index.data(KEY_ROLE)
        if key is not None:
            self.chosen.emit(key)


class NewReportView(QWidget):
    draftCreated = Signal(str)  # message id of the new draft
    openRequested = Signal(str)  # message id of an existing report the user chose instead

    def __init__(
        self,
        drafts: DraftService,
        catalogue: Catalogue,
        names: CatalogueNames,
        parent: QWidget | None = None,
        *,
        session: Session | None = None,
    ) -> None:
        super().__init__(parent)
        self._drafts = drafts
        self._catalogue = catalogue
        self._lang = names.lang
        self._session = session  # fills in the reporting institution and reporter
        self.existing_box: QMessageBox | None = None
        self._looking = False  # the existing reports are being looked for

        self.registry_list = GroupedList("registryList")
        self.form_list = GroupedList("formList")
        self.patient_step = PatientStep(self._lang)
        self.create_button = QPushButton(self.tr("&Create draft"))
        self.create_button.setObjectName("createDraftButton")

        self.registry_list.selectionModel().currentChanged.connect(self._show_forms)
        self.registry_list.chosen.connect(lambda _key: self._move_to_forms())
        self.form_list.selectionModel().currentChanged.connect(self._update_state)
        self.form_list.chosen.connect(lambda _key: self.patient_step.focus_first())
        self.patient_step.changed.connect(self._update_state)
        self.patient_step.finished.connect(self.create_draft)
        self.create_button.clicked.connect(self.create_draft)

        patient_box = QGroupBox(self.tr("3. Patient"))
        patient_layout = QVBoxLayout(patient_box)
        patient_layout.addWidget(self.patient_step)
        patient_layout.addStretch()
        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(self.create_button)
        patient_layout.addLayout(buttons)

        steps = QHBoxLayout()
        steps.addWidget(self._step(self.tr("1. Registry"), self.registry_list), 0)
        steps.addWidget(self._step(self.tr("2. Form"), self.form_list), 1)
        steps.addWidget(patient_box, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.tr("New report")))
        layout.addWidget(
            hint(
                self.tr(
                    "Choose the registry, the form for the step of the patient's pathway you are "
                    "reporting, and the patient. Enter moves on to the next step. The draft is "
                    "saved on this computer as you type."
                )
            )
        )
        layout.addLayout(steps, 1)
        self.setTabOrder(self.registry_list, self.form_list)
        self.setTabOrder(self.form_list, self.patient_step)

        self._load_registries()

    @staticmethod
    def _step(title: str, content: QWidget) -> QGroupBox:
        box = QGroupBox(title)
        QVBoxLayout(box).addWidget(content)
        return box

    # -- the three steps ---------------------------------------------------------------------

    def _load_registries(self) -> None:
        registries = self._catalogue.registries()
        national = [r for r in registries if r.national]
        other = [r for r in registries if not r.national]

        def choices(found: list) -> list[tuple[str, str, str]]:
            return [(r.id, r.title_text(self._lang), r.title_text(self._lang)) for r in found]

        self.registry_list.set_groups(
            [
                (self.tr("National quality registries"), choices(national)),
                (self.tr("Registries without national status"), choices(other)),
            ]
        )
        self.registry_list.select_first()
        self._update_state()

    def _show_forms(self, *_args: object) -> None:
        registry = self.registry_list.current_key()
        groups: dict[str, list[tuple[str, str, str]]] = {}
        for definition in self._catalogue.latest_forms(registry) if registry else []:
            step = definition.pathway_step or ""
            title = self._catalogue.step_title(step, self._lang) if step else self.tr("Other")
            tooltip = self.tr("Version %1").replace("%1", str(definition.version))
            groups.setdefault(title, []).append(
                (definition.form, definition.title_text(self._lang), tooltip)
            )
        self.form_list.set_groups(list(groups.items()))
        self.form_list.select_first()
        self._update_state()

    def _move_to_forms(self) -> None:
        if self.form_list.current_key() is None:
            self.form_list.select_first()
        self.form_list.setFocus()

    def _update_state(self, *_args: object) -> None:
        self.create_button.setEnabled(
            self.form_list.current_key() is not None
            and self.patient_step.is_complete()
            and not self._looking
        )

    def select(self, registry: str, form: str) -> bool:
        """Choose a registry and form (True if both exist)."""
        return self.registry_list.select_key(registry) and self.form_list.select_key(form)

    # -- creating ----------------------------------------------------------------------------

    def create_draft(self) -> None:
        """Look for the user's reports of this form for this patient (off the GUI thread);
        ask about them when there are some, else create the draft."""
        registry, form = self.registry_list.current_key(), self.form_list.current_key()
        patient = self.patient_step.choice()
        if registry is None or form is None or self._looking:
            return
        if patient is None:
            self.patient_step.focus_first()
            return
        drafts = self._drafts
        self._looking = True
        self._update_state()
        run_on_cache(
            lambda: drafts.existing_reports(registry, form, patient.patient_id),
            lambda existing: self._found(registry, form, patient, existing),
            self._lookup_failed,
            parent=self,
        )

    def _found(
        self, registry: str, form: str, patient: PatientChoice, existing: ExistingReports
    ) -> None:
        self._looking = False
        self._update_state()
        if not existing:
            self._create(registry, form, patient)
            return
        self.existing_box = ask_about_existing(
            self,
            existing,
            on_open=self._open_existing,
            on_create=lambda: self._create(registry, form, patient),
        )

    def _lookup_failed(self, exc: BaseException) -> None:
        self._looking = False
        self._update_state()
        self._failed(exc)

    def _create(self, registry: str, form: str, patient: PatientChoice) -> None:
        drafts, session, answers = self._drafts, self._session, patient.first_answers()
        self._looking = True  # no second draft while this one is being made
        self._update_state()
        run_on_cache(
            lambda: drafts.new_draft(registry, form, answers, session=session),
            self._created,
            self._lookup_failed,
            parent=self,
        )

    def _created(self, record: MessageRecord) -> None:
        self._looking = False
        self._update_state()
        self.patient_step.clear()
        self.draftCreated.emit(record.id)

    def _open_existing(self, message_id: str) -> None:
        self.patient_step.clear()
        self.openRequested.emit(message_id)

    def _failed(self, exc: BaseException) -> None:
        log.exception("Creating a draft failed", exc_info=exc)
        QMessageBox.warning(
            self,
            self.tr("Draft not created"),
            self.tr(
                "The draft could not be created on this computer ({0}). Try again; if it "
                "keeps failing, tell your IT department."
            ).format(getattr(exc, "message", None) or type(exc).__name__),
        )
