"""`registry-server` as a user runs it: a real process over HTTPS with the dev certificate."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from registry_server.cli import main
from tests.server.helpers import sign_in, submit, valid_body


def test_print_ca_makes_the_certificate_and_prints_its_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--print-ca", "--data-dir", str(tmp_path)]) == 0

    printed = Path(capsys.readouterr().out.strip())
    assert printed == tmp_path / "tls" / "dev-ca.pem" and printed.is_file()


def test_certfile_without_keyfile_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data-dir", str(tmp_path), "--certfile", str(tmp_path / "c.pem")]) == 2
    assert "--keyfile" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_server_process_serves_https_and_logs_no_patient_data(tmp_path: Path) -> None:
    port = _free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "registry_server",
                "--port",
                str(port),
                "--data-dir",
                str(tmp_path / "data"),
                "--demo",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        ca_path = tmp_path / "data" / "tls" / "dev-ca.pem"
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                context = ssl.create_default_context(cafile=str(ca_path))
                with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=context) as client:
                    client.get("/api/v1/health").raise_for_status()
                break
            except (OSError, httpx.TransportError):
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)

        with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=context) as client:
            headers = sign_in(client)
            body = valid_body(patient_name="Fiktiv Loggsjekk")
            assert submit(client, headers, body).status_code == 201
            reminders = client.get("/api/v1/reminders", headers=headers).json()["reminders"]
    finally:
        process.terminate()
        process.wait(timeout=15)

    output = log_path.read_text()
    assert str(ca_path) in output
    assert "Demo user: demo" in output and "Demo user: bergen" in output
    assert "POST /api/v1/messages" in output  # the access log is on ...
    secrets = [body["values"]["patient_id"], headers["Authorization"].split()[1]]
    secrets += [r["patient_id"] for r in reminders]
    for secret in secrets:  # ... and carries no identity numbers or tokens
        assert secret not in output
    assert body["values"]["patient_name"] not in output
