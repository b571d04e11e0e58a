"""Client settings for tests: the real server's address and CA, a data folder, and what every
test client shares: the file keyring of the tests' throwaway home (allowed here only) and
Argon2id at the lowest cost the setting allows (lowered, never skipped)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop_app.config import Settings
from tests.support.live_server import LiveServer

TEST_SETTINGS: dict[str, Any] = {
    "allow_plaintext_keyring": True,
    "kdf_time_cost": 1,
    "kdf_memory_kib": 1024,
}


def settings_for_tests(server: LiveServer | None, data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a client of `server` (None: a server nobody answers at)."""
    where: dict[str, Any] = (
        {"server_url": server.url, "ca_bundle": str(server.ca_path)} if server is not None else {}
    )
    return Settings(data_dir=data_dir, **where, **{**TEST_SETTINGS, **overrides})
