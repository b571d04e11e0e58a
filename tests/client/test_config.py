import json
from pathlib import Path

import pytest

from desktop_app.config import Settings, SettingsError


def test_defaults_put_data_in_the_platform_data_dir(tmp_path: Path) -> None:
    settings = Settings.load(config_file=None)
    assert settings.server_url.startswith("https://")
    assert settings.data_dir.name == "registry-desktop"
    assert settings.cache_path == settings.data_dir / "cache.sqlite3"


def test_file_then_environment_then_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "settings.json"
    config.write_text(
        json.dumps({"server_url": "https://file.example", "sync_interval_s": 12, "language": "nb"})
    )
    monkeypatch.setenv("REGISTRY_SERVER_URL", "https://env.example")
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path / "data"))

    settings = Settings.load(config, retry_interval_s=1.5)

    assert settings.server_url == "https://env.example"
    assert settings.data_dir == tmp_path / "data"
    assert settings.sync_interval_s == 12.0
    assert settings.retry_interval_s == 1.5
    assert settings.language == "nb"
    assert Settings.load(config, server_url="https://arg.example").server_url == (
        "https://arg.example"
    )


def test_the_default_settings_file_is_read(tmp_path: Path) -> None:
    # conftest points XDG_CONFIG_HOME at a temporary folder.
    import platformdirs

    path = Path(platformdirs.user_config_dir("registry-desktop", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    (path / "settings.json").write_text(json.dumps({"use_system_trust": True}))
    try:
        assert Settings.load().use_system_trust is True
    finally:
        (path / "settings.json").unlink()


@pytest.mark.parametrize("source", ["file", "override"])
def test_unknown_keys_fail_with_the_name(tmp_path: Path, source: str) -> None:
    config = tmp_path / "settings.json"
    config.write_text(json.dumps({"sever_url": "https://typo"} if source == "file" else {}))
    kwargs = {"sever_url": "https://typo"} if source == "override" else {}
    with pytest.raises(SettingsError, match="sever_url"):
        Settings.load(config, **kwargs)


def test_wrong_types_and_broken_files_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="sync_interval_s"):
        Settings.load(sync_interval_s="soon")
    broken = tmp_path / "settings.json"
    broken.write_text("{not json")
    with pytest.raises(SettingsError, match="cannot be read"):
        Settings.load(broken)
    with pytest.raises(SettingsError, match="does not exist"):
        Settings.load(tmp_path / "missing.json")


def test_env_strings_become_typed_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_CA_BUNDLE", "/etc/hospital-ca.pem")
    settings = Settings.load(allow_insecure_http="false", autosave_debounce_ms="250")
    assert settings.ca_bundle == "/etc/hospital-ca.pem"
    assert settings.allow_insecure_http is False
    assert settings.autosave_debounce_ms == 250


@pytest.mark.parametrize("var", ["REGISTRY_USE_SYSTEM_TRUST", "REGISTRY_ALLOW_INSECURE_HTTP"])
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("Yes", True),
        (" on ", True),
        ("0", False),
        ("FALSE", False),
        ("no", False),
        ("off", False),
    ],
)
def test_trust_and_http_flags_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, var: str, raw: str, expected: bool
) -> None:
    monkeypatch.delenv("REGISTRY_USE_SYSTEM_TRUST", raising=False)
    monkeypatch.delenv("REGISTRY_ALLOW_INSECURE_HTTP", raising=False)
    monkeypatch.setenv(var, raw)
    settings = Settings.load()
    name = "use_system_trust" if var == "REGISTRY_USE_SYSTEM_TRUST" else "allow_insecure_http"
    assert getattr(settings, name) is expected
    # The other flag keeps its safe default.
    other = "allow_insecure_http" if name == "use_system_trust" else "use_system_trust"
    assert getattr(settings, other) is False


def test_empty_flag_variables_leave_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_USE_SYSTEM_TRUST", "")
    monkeypatch.setenv("REGISTRY_ALLOW_INSECURE_HTTP", "")
    settings = Settings.load()
    assert settings.use_system_trust is False
    assert settings.allow_insecure_http is False


@pytest.mark.parametrize("var", ["REGISTRY_USE_SYSTEM_TRUST", "REGISTRY_ALLOW_INSECURE_HTTP"])
@pytest.mark.parametrize("raw", ["maybe", "2", "enabled", "tru"])
def test_nonsense_in_a_flag_variable_fails_clearly(
    monkeypatch: pytest.MonkeyPatch, var: str, raw: str
) -> None:
    monkeypatch.setenv(var, raw)
    name = "use_system_trust" if var == "REGISTRY_USE_SYSTEM_TRUST" else "allow_insecure_http"
    # Never read as "on": a typo must not open plain http:// or change whom the client trusts.
    with pytest.raises(SettingsError) as refused:
        Settings.load()
    assert name in str(refused.value)
    assert repr(raw) in str(refused.value)
    assert var in str(refused.value)  # where to fix it
    assert "true or false" in str(refused.value)  # and what it may be
