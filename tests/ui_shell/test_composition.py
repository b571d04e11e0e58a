"""The composition root and the command line: start in order, stop in reverse, fail clearly."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.__main__ import RedactIdentityNumbers, main, parse_args, settings_overrides
from desktop_app.app import build_services
from desktop_app.config import Settings
from desktop_app.sync.api_client import InsecureUrlError

from .conftest import sign_in_user


def test_services_start_in_named_steps_and_stop_in_reverse(caplog, settings) -> None:
    with caplog.at_level(logging.INFO, logger="desktop_app"):
        services = build_services(settings)
        user = sign_in_user(services)
        engine = user.start_sync()
        assert engine.running
        user.end()  # the session first (ui.application.AppShell), then what all share
        services.shutdown()
        services.shutdown()  # a second call does nothing
    steps = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Start-up: ")]
    assert steps == [
        "Start-up: settings",
        "Start-up: form catalogue",
        "Start-up: local cache",
        "Start-up: API client",
        "Start-up: token store",
        "Start-up: session service",
        "Start-up: event bus",
    ]
    stops = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Shutdown: ")]
    assert stops == ["Shutdown: close API client", "Shutdown: close local cache"]
    assert not engine.running
    assert user.ended and user.sync is None


def test_a_failed_start_closes_what_was_started(caplog, tmp_path: Path) -> None:
    settings = Settings(server_url="http://registry.example", data_dir=tmp_path / "client")
    with caplog.at_level(logging.INFO, logger="desktop_app.app"), pytest.raises(InsecureUrlError):
        build_services(settings)
    messages = [r.getMessage() for r in caplog.records]
    assert "Shutdown: close local cache" in messages
    assert (tmp_path / "client" / "cache.sqlite3").exists()


def test_command_line_overrides_only_what_was_given() -> None:
    args = parse_args(["--server", "https://r.example", "--language", "nb"])
    assert settings_overrides(args) == {"server_url": "https://r.example", "language": "nb"}
    args = parse_args(["--allow-insecure-http", "--data-dir", "/tmp/x", "--username", "kari"])
    assert settings_overrides(args) == {"allow_insecure_http": True, "data_dir": "/tmp/x"}
    assert args.username == "kari"
    args = parse_args(["--use-system-trust", "--ca-bundle", "/etc/hospital-ca.pem"])
    assert settings_overrides(args) == {
        "use_system_trust": True,
        "ca_bundle": "/etc/hospital-ca.pem",
    }


def test_main_refuses_plain_http_with_a_clear_message(caplog, tmp_path: Path) -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        code = main(["--server", "http://registry.example", "--data-dir", str(tmp_path)])
    finally:
        root.handlers[:], root.level = handlers, level
    assert code == 2
    assert any("plain http://" in r.getMessage() for r in caplog.records)


def test_log_records_never_carry_identity_numbers() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "patient %s in draft %s", ("01020312345", "abc-1"), None
    )
    assert RedactIdentityNumbers().filter(record)
    assert record.getMessage() == "patient [redacted] in draft abc-1"


def test_entry_point_runs_without_a_display() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "desktop_app", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("registry-desktop ")
