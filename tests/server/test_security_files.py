"""The server's data folder, database and key files are this account's only (0700 / 0600)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from registry_server.app import create_app
from registry_server.settings import ServerSettings
from registry_server.signing import KEY_FILE_NAME
from registry_server.tls import ensure_dev_certificate

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_and_keys_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "new" / "data"
    app = create_app(ServerSettings(data_dir=data_dir))  # not demo: makes a signing key
    app.state.engine.dispose()
    _ca, cert, key = ensure_dev_certificate(data_dir)

    assert _mode(data_dir) == 0o700
    assert _mode(data_dir / "registry.sqlite3") == 0o600
    for sidecar in data_dir.glob("registry.sqlite3-*"):
        assert _mode(sidecar) == 0o600, sidecar
    assert _mode(data_dir / KEY_FILE_NAME) == 0o600
    assert _mode(key.parent) == 0o700 and _mode(key) == 0o600
    assert _mode(cert) & 0o077 in (0o044, 0o004, 0o040, 0)  # public, but not writable by others


def test_an_existing_open_data_folder_is_narrowed(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    os.chmod(data_dir, 0o755)
    database = data_dir / "registry.sqlite3"
    database.touch()
    os.chmod(database, 0o644)

    app = create_app(ServerSettings(data_dir=data_dir, demo=True))
    app.state.engine.dispose()

    assert _mode(data_dir) == 0o700
    assert _mode(database) == 0o600
