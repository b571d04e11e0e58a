"""The server checks the reminder rules and the indicators when it starts: a broken file stops
it with the file and the problem named (not a failed nightly job, nor a 500 on GET
/statistics later).

The real `registry-server` runs from a copy of the program whose resources folder has the
broken file (resources are found beside the packages, as in a checkout).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.resources import resources_dir

REPO = resources_dir().parent


def _copy_of_the_program(root: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__")
    for package in ("desktop_app", "local_cache", "registry_server"):
        shutil.copytree(REPO / package, root / package, ignore=ignore)
    shutil.copytree(REPO / "resources", root / "resources", ignore=ignore)
    return root / "resources"


def _break_rules(resources: Path) -> str:
    path = resources / "reminder_rules.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["rules"][0]["registry"] = "no_such_registry"
    path.write_text(json.dumps(data), encoding="utf-8")
    return "reminder_rules.json: rules[0]"


def _break_indicators(resources: Path) -> str:
    path = resources / "indicators.json"
    path.write_text(path.read_text(encoding="utf-8")[:-40], encoding="utf-8")
    return "indicators.json: line"


@pytest.mark.parametrize("breaks", [_break_rules, _break_indicators], ids=["rules", "indicators"])
def test_a_broken_definition_file_stops_the_server_naming_it(breaks, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    program = tmp_path / "program"
    named = breaks(_copy_of_the_program(program))
    env = {**os.environ, "PYTHONPATH": str(program)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "registry_server",
            "--data-dir",
            str(tmp_path / "data"),
            "--port",
            "0",
            "--no-scheduled-jobs",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=program,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "The server cannot start:" in done.stderr
    assert str(program / "resources") in done.stderr  # the copy's file, not the checkout's
    assert named in done.stderr
    assert "Serving https://" not in done.stdout


def test_the_shipped_files_pass_the_start_up_check(tmp_path: Path) -> None:
    """The same check on the checkout's own files: nothing to report (guards the copy trick:
    the copy is what the failing runs read)."""
    program = tmp_path / "program"
    _copy_of_the_program(program)
    env = {**os.environ, "PYTHONPATH": str(program)}
    code = (
        "from desktop_app.forms import load_catalogue\n"
        "from desktop_app.resources import resources_dir\n"
        "from registry_server.app import check_definitions\n"
        "check_definitions(load_catalogue())\n"
        "print(resources_dir())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=program
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(program / "resources")
