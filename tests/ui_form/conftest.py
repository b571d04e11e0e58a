"""Fixtures for the form renderer: the shipped breast assessment form and real local parts."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop_app.autosave import Autosaver
from desktop_app.drafts import DraftService
from desktop_app.forms import Catalogue, FormDefinition, example_values
from local_cache import Cache, open_cache

# The forms tests' `catalogue` and `breast` fixtures, registered here by being imported.
from tests.forms.conftest import breast_fixture, catalogue_fixture  # noqa: F401

# Autouse: a test fails if the UI queried the cache on the GUI thread.
from tests.support.gui_thread_queries import cache_queries_on_gui_thread  # noqa: F401

OWNER = "test.clinician"  # the drafts fixture's clinician (as in test_draft_editor)


@pytest.fixture
def valid_values(breast: FormDefinition) -> dict[str, object]:
    """A complete, valid report with a synthetic identity number."""
    return example_values(breast, random.Random(7))


@pytest.fixture
def make_view(qtbot, breast: FormDefinition) -> Callable[..., object]:
    from ui.form_renderer import FormView

    def make(values: dict | None = None, lang: str = "en") -> FormView:
        view = FormView(breast, values or {}, lang)
        qtbot.addWidget(view)
        view.resize(900, 700)
        view.show()
        qtbot.waitExposed(view)
        return view

    return make


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    cache = open_cache(tmp_path / "cache.sqlite3")
    yield cache
    cache.close()


@pytest.fixture
def drafts(cache: Cache, catalogue: Catalogue) -> Iterator[DraftService]:
    autosaver = Autosaver(cache.messages)
    yield DraftService(cache, catalogue, autosaver, OWNER)
    autosaver.close()
