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
# platformdirs and keyrings.alt both follow XDG: keep every test away from the real home.
os.environ["XDG_DATA_HOME"] = str(_HOME / "data")
os.environ["XDG_CONFIG_HOME"] = str(_HOME / "config")
os.environ["XDG_CACHE_HOME"] = str(_HOME / "cache")
os.environ.pop("REGISTRY_SERVER_URL", None)
os.environ.pop("REGISTRY_CA_BUNDLE", None)
os.environ.pop("REGISTRY_DATA_DIR", None)
os.environ.pop("REGISTRY_USE_SYSTEM_TRUST", None)
os.environ.pop("REGISTRY_ALLOW_INSECURE_HTTP", None)
