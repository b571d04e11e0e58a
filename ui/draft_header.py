"""The draft editor's header: the form's title, its registry and version, and the patient the
draft is about (read from the answers as they are typed)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from desktop_app.forms import FormDefinition
from local_cache import MessageRecord
from ui.form_renderer.texts import text
from ui.models.names import CatalogueNames


class DraftHeader(QFrame):
    def __init__(
        self,
        definition: FormDefinition,
        record: MessageRecord,
        names: CatalogueNames,
        lang: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.definition = definition
        self.lang = lang
        self.setObjectName("editorHeader")
        self.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 6)
        layout.setSpacing(2)
        self.title_label = QLabel(definition.title_text(lang), self)
        self.title_label.setObjectName("editorTitle")
        font = self.title_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title_label.setFont(font)
        layout.addWidget(self.title_label)
        self.subtitle_label = QLabel(
            f"{names.registry(record.registry)} · "
            + text("editor.version", lang, version=record.form_version),
            self,
        )
        self.subtitle_label.setObjectName("editorSubtitle")
        layout.addWidget(self.subtitle_label)
        self.patient_label = QLabel(self)
        self.patient_label.setObjectName("editorPatient")
        self.patient_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.patient_label)

    def show_patient(self, values: dict) -> None:
        """The patient's name and identity number as typed so far (on every change)."""
        parts = []
        for field in self.definition.fields():
            if field.id == "patient_name" or field.type == "identity_number":
                value = values.get(field.id)
                if isinstance(value, str) and value.strip():
                    parts.append(value.strip())
        new_text = (
            text("editor.patient", self.lang, patient=" · ".join(parts))
            if parts
            else text("editor.no_patient", self.lang)
        )
        # Per keystroke: skip Qt when nothing changes (see ui/form_renderer/field_widgets.py).
        if self.patient_label.text() != new_text:
            self.patient_label.setText(new_text)
