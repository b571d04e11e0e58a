"""The server side of benchmarks/sync_throughput.py: the real `registry-server` in its own
process on 127.0.0.1 (demo accounts only, no scheduled jobs), and an environment that keeps
the benchmark away from the user's real folders."""

from __future__ import annotations

import os
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

SERVER_START_TIMEOUT_S = 60.0


# -- environment ---------------------------------------------------------------------------


def isolate_environment(home: Path) -> None:
    """Keep the run away from the user's keyring, settings and data; before Qt or keyring load."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
    for name in ("DATA", "CONFIG", "CACHE"):
        os.environ[f"XDG_{name}_HOME"] = str(home / name.lower())
    for name in ("REGISTRY_SERVER_URL", "REGISTRY_CA_BUNDLE", "REGISTRY_DATA_DIR"):
        os.environ.pop(name, None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the server process ----------------------------------------------------------------------


@dataclass
class ServerProcess:
    """`registry-server` in its own process on 127.0.0.1; `profile_dir` runs it under cProfile."""

    data_dir: Path
    log_path: Path
    profile_dir: Path | None = None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca_path(self) -> Path:
        return self.data_dir / "tls" / "dev-ca.pem"

    @property
    def database(self) -> Path:
        return self.data_dir / "registry.sqlite3"

    def command(self) -> list[str]:
        # Accounts only: the national demo year would add its receipts to every sync pass.
        cli = [
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--demo",
            "--demo-accounts-only",
            "--no-scheduled-jobs",
        ]
        if self.profile_dir is None:
            return [sys.executable, "-m", "registry_server", *cli]
        # The benchmark's own main() runs the server under cProfile (sync_profiles).
        benchmark = str(Path(__file__).with_name("sync_throughput.py"))
        return [sys.executable, benchmark, "--serve-profiled", str(self.profile_dir), "--", *cli]

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[1]
            )
        self._wait_until_healthy()

    def _wait_until_healthy(self) -> None:
        import httpx

        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"The server stopped at start:\n{self.log_path.read_text()}")
            try:
                context = ssl.create_default_context(cafile=str(self.ca_path))
                with httpx.Client(base_url=self.url, verify=context, timeout=5) as client:
                    client.get("/api/v1/health").raise_for_status()
                return
            except (OSError, httpx.TransportError):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"The server did not answer /api/v1/health in time:\n"
                        f"{self.log_path.read_text()}"
                    ) from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # uvicorn shuts down on SIGTERM (a profiled run dumps first)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def stored(self, message_ids: list[str]) -> int:
        """How many of these messages the server's database holds, each with its receipt."""
        connection = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)
        try:
            connection.execute("CREATE TEMP TABLE wanted (id TEXT PRIMARY KEY)")
            connection.executemany("INSERT INTO wanted VALUES (?)", [(i,) for i in message_ids])
            query = (
                "SELECT count(*) FROM messages m JOIN receipts r ON r.message_id = m.message_id "
                "WHERE m.message_id IN (SELECT id FROM wanted)"
            )
            return int(connection.execute(query).fetchone()[0])
        finally:
            connection.close()
