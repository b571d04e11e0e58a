"""The draft editor's banners: their colours, the plain message banner, and the migration banner
that lists what moving a draft to a newer form version changed, with its own words."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop_app.forms import Change
from desktop_app.forms.text import localized
from ui.form_renderer.texts import text

BANNER_STYLE = {
    "error": "background: #fdf3f4; border: 2px solid #b00020; color: #7a0016;",
    "info": "background: #eef4fb; border: 1px solid #7a9cc6; color: #1d3557;",
}

# The migration banner's own words. They belong with the renderer's texts
# (ui/form_renderer/texts.py, another owner's file); kept here until they move there.
_MIGRATION_TEXTS: dict[str, dict[str, str]] = {
    "note": {
        "nb": "Denne listen vises hver gang utkastet åpnes, til du bekrefter at du har "
        "kontrollert den. Svar som er fjernet, finnes bare her og blir borte når du bekrefter.",
        "en": "This list is shown each time the draft is opened until you confirm you have "
        "checked it. Removed answers are kept only here and are gone once you confirm.",
    },
    "done": {"nb": "Ferdig – jeg har kontrollert disse", "en": "Done — I've checked these"},
    "done_failed": {
        "nb": "Kunne ikke lagre at endringene er kontrollert: {reason} Listen vises igjen "
        "neste gang utkastet åpnes.",
        "en": "Could not record that the changes were checked: {reason} The list will be "
        "shown again the next time the draft is opened.",
    },
}


def migration_text(key: str, lang: str) -> str:
    return localized(_MIGRATION_TEXTS[key], lang)


def message_banner(name: str, kind: str, parent: QWidget) -> QLabel:
    """A hidden one-message banner in the `kind` ("error", "info") colours."""
    banner = QLabel(parent)
    banner.setObjectName(name)
    banner.setWordWrap(True)
    banner.setTextFormat(Qt.TextFormat.PlainText)
    banner.setMargin(8)
    banner.setStyleSheet(BANNER_STYLE[kind])
    banner.hide()
    return banner


class MigrationBanner(QFrame):
    """Says what moving the draft to the new form version changed, each time the draft is
    opened until the user confirms having checked it (removed answers live only here).
    Above the form and shown from the start, so it never moves a field the user is
    looking at. "Done" (`done_button`) is the editor's to act on."""

    def __init__(
        self, form_version: int, changes: list[Change], lang: str, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.setObjectName("migrationBanner")
        self.setStyleSheet(f"QFrame#migrationBanner {{ {BANNER_STYLE['info']} }}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        lines = [text("editor.migrated", lang, version=form_version)]
        lines += [f"• {change.message(lang)}" for change in changes]
        lines += ["", migration_text("note", lang)]
        self.label = QLabel("\n".join(lines), self)
        self.label.setObjectName("migrationText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setStyleSheet("border: none; background: transparent;")
        layout.addWidget(self.label, 1)
        self.done_button = QPushButton(migration_text("done", lang), self)
        self.done_button.setObjectName("hideMigrationBanner")
        self.done_button.setAutoDefault(False)
        layout.addWidget(self.done_button, 0, Qt.AlignmentFlag.AlignTop)
        self.setVisible(bool(changes))
