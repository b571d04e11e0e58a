"""Client settings: every setting declared once, with its type and default.

Sources, later ones winning: the JSON settings file, environment variables, explicit overrides.
Secrets (passwords, tokens) never belong here; tokens live in the OS keyring.
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from local_cache.user_keys import KdfCost

APP_NAME = "registry-desktop"
SETTINGS_FILE_NAME = "settings.json"

# Environment variables that may override a setting (deployment on ward PCs sets these).
ENV_VARS: dict[str, str] = {
    "REGISTRY_SERVER_URL": "server_url",
    "REGISTRY_CA_BUNDLE": "ca_bundle",
    "REGISTRY_DATA_DIR": "data_dir",
    "REGISTRY_USE_SYSTEM_TRUST": "use_system_trust",
    "REGISTRY_ALLOW_INSECURE_HTTP": "allow_insecure_http",
    "REGISTRY_IDLE_LOCK_MINUTES": "idle_lock_minutes",
    # The demo and the test suite (headless, no desktop keyring) set these; never a ward PC.
    "REGISTRY_ALLOW_PLAINTEXT_KEYRING": "allow_plaintext_keyring",
    "REGISTRY_KDF_TIME_COST": "kdf_time_cost",
    "REGISTRY_KDF_MEMORY_KIB": "kdf_memory_kib",
}

# The server takes at most this many messages per batch request (ServerSettings.max_batch_items).
MAX_SYNC_BATCH_SIZE = 100


class SettingsError(ValueError):
    """A settings file, variable or override cannot be used; the message says which and why."""


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_config_file() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / SETTINGS_FILE_NAME


@dataclass
class Settings:
    server_url: str = "https://127.0.0.1:8443"
    ca_bundle: str | None = None  # PEM file with the hospital's CA, added to verification
    use_system_trust: bool = False  # verify with the OS trust store too (truststore)
    allow_insecure_http: bool = False  # development only; sends credentials in clear text
    data_dir: Path = field(default_factory=default_data_dir)
    sync_interval_s: float = 30.0
    retry_interval_s: float = 5.0
    sync_batch_size: int = 100  # messages per request (1 to MAX_SYNC_BATCH_SIZE)
    outbox_age_warning_minutes: int = 60  # the outbox warns when a message waits longer
    request_timeout_s: float = 15.0  # per request to the server (a batch of 100 included)
    autosave_debounce_ms: int = 400
    language: str = "en"
    # Minutes without keyboard or mouse input before the window locks (0: never).
    idle_lock_minutes: float = 10.0
    # A keyring that stores secrets in a plain file (keyrings.alt's PlaintextKeyring) is
    # refused unless this is set: for the demo and tests on machines without a desktop keyring.
    allow_plaintext_keyring: bool = False
    # Argon2id costs of the key that seals each clinician's keys (local_cache.user_keys);
    # the defaults take about 0.3 s. Lowered only by the test suite.
    kdf_time_cost: int = 3
    kdf_memory_kib: int = 96 * 1024

    def __post_init__(self) -> None:
        if not 1 <= self.sync_batch_size <= MAX_SYNC_BATCH_SIZE:
            raise SettingsError(
                f"The setting sync_batch_size must be from 1 to {MAX_SYNC_BATCH_SIZE}, "
                f"not {self.sync_batch_size}."
            )
        for name in ("request_timeout_s", "sync_interval_s", "outbox_age_warning_minutes"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"The setting {name} must be more than 0.")
        if self.idle_lock_minutes < 0:
            raise SettingsError("The setting idle_lock_minutes must be 0 (never) or more.")
        if self.kdf_time_cost < 1 or self.kdf_memory_kib < 8:
            raise SettingsError(
                "The settings kdf_time_cost (at least 1) and kdf_memory_kib (at least 8) "
                "are too low."
            )

    @property
    def kdf_cost(self) -> KdfCost:
        return KdfCost(time_cost=self.kdf_time_cost, memory_kib=self.kdf_memory_kib)

    @property
    def cache_path(self) -> Path:
        return Path(self.data_dir) / "cache.sqlite3"

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def load(cls, config_file: str | Path | None = None, **overrides: Any) -> Settings:
        """Settings from the file (if present), then the environment, then ``overrides``."""
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}  # where a value came from, for the error message
        path = Path(config_file) if config_file is not None else default_config_file()
        if path.is_file():
            values.update(_read_file(path))
            sources.update(dict.fromkeys(values, f"in {path}"))
        elif config_file is not None:
            raise SettingsError(f"The settings file {path} does not exist. Check the path.")
        for var, name in ENV_VARS.items():
            raw = os.environ.get(var)
            if raw:
                values[name] = raw
                sources[name] = f"from the environment variable {var}"
        _reject_unknown(overrides, "in the arguments")
        values.update(overrides)
        sources.update(dict.fromkeys(overrides, "in the arguments"))
        return cls(**{name: _coerce(name, value, sources[name]) for name, value in values.items()})


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SettingsError(
            f"The settings file {path} cannot be read ({exc}). Fix or remove the file."
        ) from exc
    if not isinstance(data, dict):
        raise SettingsError(f"The settings file {path} must hold a JSON object.")
    _reject_unknown(data, f"in {path}")
    return data


def _reject_unknown(values: dict[str, Any], where: str) -> None:
    unknown = sorted(set(values) - set(Settings.names()))
    if unknown:
        raise SettingsError(
            f"Unknown setting(s) {', '.join(unknown)} {where}. "
            f"Known settings: {', '.join(Settings.names())}."
        )


def _field_type(name: str) -> tuple[type, bool]:
    """The declared type of a setting and whether it may be None."""
    hint = typing.get_type_hints(Settings)[name]
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return next(a for a in args if a is not type(None)), type(None) in args
    return hint, False


def _coerce(name: str, value: Any, source: str) -> Any:
    """Turn file/env values into the declared type, failing with a sentence naming the setting."""
    kind, optional = _field_type(name)
    if value is None:
        if optional:
            return None
        raise SettingsError(f"The setting {name} ({source}) cannot be empty.")
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError(value)
        if kind is Path:
            return Path(value).expanduser()
        if kind in (int, float) and isinstance(value, bool):
            raise ValueError(value)
        return kind(value)
    except (TypeError, ValueError) as exc:
        expected = (
            "true or false (also yes/no, on/off, 1/0)"
            if kind is bool
            else {int: "a whole number", float: "a number"}.get(kind, f"a {kind.__name__}")
        )
        raise SettingsError(
            f"The setting {name} ({source}) must be {expected}, not {value!r}."
        ) from exc
