"""Fixtures for the local cache tests: a real SQLite file per test, synthetic patients."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.forms.identity import generate_identity_number
from local_cache import Cache, open_cache


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "cache.sqlite3"


@pytest.fixture
def cache(cache_path: Path) -> Iterator[Cache]:
    cache = open_cache(cache_path)
    yield cache
    cache.close()


@pytest.fixture
def identity_number() -> str:
    return generate_identity_number(random.Random(4711))
