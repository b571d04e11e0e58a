"""Screenshots of one form of each detailed registry in a DraftEditor, for docs/forms/.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.ui_form.screenshots [out_dir] [lang]

Synthetic answers only (example_values with a fixed seed); the drafts live in a throwaway cache.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication

from desktop_app.autosave import Autosaver
from desktop_app.drafts import DraftService
from desktop_app.forms import example_values, load_catalogue
from local_cache import open_cache
from ui.draft_editor import DraftEditor

SIZE = (1100, 720)

# (registry, form, version (None: latest), field to scroll to and where in the window (0 top,
# 1 bottom), rows wanted in its repeat group, answers to drop so the picture shows how an
# unfinished draft looks). Breast starts on version 1, so the editor shows the migration.
SHOTS = [
    ("breast", "assessment", 1, "histological_type", 0.3, None, ()),
    ("lymphoid", "treatment", None, "treatment_lines[1].line_regimen", 0.55, 2, ()),
    ("childhood", "assessment", None, "age_at_diagnosis", 0.3, None, ()),
    ("sarcoma", "assessment", None, "fnclcc_grade", 0.4, None, ("fnclcc_grade",)),
]


def _values(definition, group_rows: int | None) -> dict[str, object]:
    for seed in range(200):
        values = example_values(definition, random.Random(seed))
        rows = [v for v in values.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
        if group_rows is None or (rows and len(rows[0]) == group_rows):
            return values
    raise RuntimeError(f"no example of {definition.key} with {group_rows} rows")


def _place(editor: DraftEditor, at: float) -> None:
    """Scroll so the focused input sits `at` of the way down the visible form."""
    focused = QApplication.focusWidget()
    view = editor.form
    if focused is None or not view.content.isAncestorOf(focused):
        return
    y = focused.mapTo(view.content, QPoint(0, 0)).y()
    bar = view.scroll_area.verticalScrollBar()
    bar.setValue(int(y - view.scroll_area.viewport().height() * at))


def main(out_dir: Path, lang: str = "en") -> list[Path]:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    catalogue = load_catalogue()
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = open_cache(Path(tmp) / "cache.sqlite3")
        autosaver = Autosaver(cache.messages)
        drafts = DraftService(cache, catalogue, autosaver, "demo")
        try:
            for registry, form, version, focus, at, rows, drop in SHOTS:
                if version is None:
                    definition = catalogue.latest(registry, form)
                else:
                    definition = catalogue.get(registry, form, version)
                values = _values(definition, rows)
                for field_id in drop:
                    values.pop(field_id, None)
                record = cache.messages.create_draft(
                    "demo.clinician", registry, form, definition.version, values
                )
                editor = DraftEditor(drafts, drafts.open_with_changes(record.id), lang, 1000)
                editor.resize(*SIZE)
                editor.show()
                app.processEvents()
                if drop:
                    editor.submit()  # refused: shows the problem list below the form
                editor.form.focus_field(focus)
                for _ in range(5):
                    app.processEvents()
                _place(editor, at)
                app.processEvents()
                path = out_dir / f"{registry}-{form}.png"
                editor.grab().save(str(path))
                written.append(path)
                editor.close()
                editor.deleteLater()
                app.processEvents()
        finally:
            autosaver.close()
            cache.close()
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/forms")
    for written_path in main(target, sys.argv[2] if len(sys.argv) > 2 else "en"):
        print(written_path)
