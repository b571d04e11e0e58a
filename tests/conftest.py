"""Session-wide test environment: offscreen Qt, a headless file keyring, no real user folders.

Set before any test module imports Qt or keyring, so every test sees the same environment.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_HOME = Path(tempfile.mkdtemp(prefix="registry-tests-home-"))
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
# The product refuses a plaintext keyring; the tests' one is in a throwaway home.
os.environ["REGISTRY_ALLOW_PLAINTEXT_KEYRING"] = "1"
# Settings.load (and client subprocesses) derive keys with Argon2id at a test's cost: the
# same code path, cheaper parameters. Tests building Settings(...) pass the same values.
os.environ["REGISTRY_KDF_TIME_COST"] = "1"
os.environ["REGISTRY_KDF_MEMORY_KIB"] = "1024"
# platformdirs and keyrings.alt both follow XDG: keep every test away from the real home.
os.environ["XDG_DATA_HOME"] = str(_HOME / "data")
os.environ["XDG_CONFIG_HOME"] = str(_HOME / "config")
os.environ["XDG_CACHE_HOME"] = str(_HOME / "cache")
os.environ.pop("REGISTRY_SERVER_URL", None)
os.environ.pop("REGISTRY_CA_BUNDLE", None)
os.environ.pop("REGISTRY_DATA_DIR", None)
os.environ.pop("REGISTRY_USE_SYSTEM_TRUST", None)
os.environ.pop("REGISTRY_ALLOW_INSECURE_HTTP", None)
