"""The detector of cache queries on the GUI thread (tests.support.gui_thread_queries) can fail:
a list model refreshed on the GUI thread is caught, with the statement and the ui/ frames;
the same load on the cache worker, and the test's own reads, are not."""

from __future__ import annotations

import pytest

from desktop_app.forms import load_catalogue
from local_cache import open_cache
from local_cache.crypto import EncryptingCodec, UserKeys, new_key
from local_cache.user_cache import UserCache
from ui.models.messages_model import DraftsModel
from ui.models.names import CatalogueNames
from ui.models.reloader import ModelReloader

pytestmark = pytest.mark.gui

OWNER = "test.clinician"


@pytest.fixture
def model(tmp_path):
    cache = open_cache(tmp_path / "cache.sqlite3")
    user_cache = UserCache(cache, OWNER, EncryptingCodec(UserKeys(new_key(), new_key())))
    user_cache.messages.create_draft(OWNER, "breast", "assessment", 1, {})
    yield DraftsModel(user_cache.messages, OWNER, CatalogueNames(load_catalogue(), "en"))
    cache.close()


def test_a_query_from_ui_code_on_the_gui_thread_is_caught(model, cache_queries_on_gui_thread):
    detector = cache_queries_on_gui_thread
    model.refresh()  # RowTableModel.refresh: fetch() on the calling thread, the GUI thread

    assert model.rowCount() == 1
    assert detector.violations, "the detector did not see the query"
    select = [v for v in detector.violations if v.statement.lstrip().upper().startswith("SELECT")]
    violation = select[0]
    assert "messages" in violation.statement
    assert any(f.startswith("ui/models/messages_model.py:") for f in violation.ui_frames)
    assert any(f.endswith("in refresh") for f in violation.ui_frames)
    report = detector.report()
    assert "ran on the GUI thread from ui/" in report and "ui/models/table_model.py" in report
    detector.violations.clear()  # provoked on purpose: this test must not fail at teardown


def test_the_same_load_on_the_cache_worker_and_reads_by_the_test_are_allowed(
    qtbot, model, cache_queries_on_gui_thread
):
    reloader = ModelReloader(model, 0)
    with qtbot.waitSignal(reloader.loaded, timeout=5000):
        reloader.reload_now()
    assert model.rowCount() == 1
    model._messages.list(OWNER, [])  # the test's own read, on the GUI thread
    assert cache_queries_on_gui_thread.violations == []
