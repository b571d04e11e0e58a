"""End-to-end GUI tests fail if the UI queried the cache on the GUI thread."""

from tests.support.gui_thread_queries import cache_queries_on_gui_thread  # noqa: F401
