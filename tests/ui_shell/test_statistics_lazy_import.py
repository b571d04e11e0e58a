"""QtCharts is imported when the Statistics page is first shown, not when the main window is
built (a fresh process: other tests in this one have imported it long ago)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from PySide6.QtWidgets import QApplication
    from desktop_app.app import build_services
    from desktop_app.auth import Session
    from desktop_app.config import Settings
    from desktop_app.user_session import UserSession
    from local_cache.crypto import UserKeys, new_key
    from ui.main_window import MainWindow

    app = QApplication([])
    settings = Settings(server_url="https://127.0.0.1:9", data_dir=Path(sys.argv[1]))
    services = build_services(settings)
    session = Session(server_url="https://127.0.0.1:9", username="demo", display_name="Demo",
                      unit={"name": "Unit"}, offline=True, tokens=services.tokens)
    user = UserSession(services, session, UserKeys(new_key(), new_key()))
    seen = {}
    window = MainWindow(services, user)
    window.show()
    app.processEvents()
    seen["after_window"] = "PySide6.QtCharts" in sys.modules
    for row in range(window.navigation.count() - 1):  # every other page
        window.show_page(row)
        app.processEvents()
    seen["after_other_pages"] = "PySide6.QtCharts" in sys.modules
    window.show_page(MainWindow.STATISTICS)
    app.processEvents()
    seen["after_statistics"] = "PySide6.QtCharts" in sys.modules
    seen["page_built"] = window.statistics_page.page is not None
    print(json.dumps(seen))
    window.hide()
    user.end()
    services.shutdown()
    """
)


def test_charting_module_is_imported_only_when_the_page_is_first_shown(tmp_path: Path):
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "data")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {
        "after_window": False,
        "after_other_pages": False,
        "after_statistics": True,
        "page_built": True,
    }
