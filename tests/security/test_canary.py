"""A canary patient typed into a draft, submitted, sent, receipted and printed to PDF leaves
no plain trace on the client: the data folder (database, -wal, -shm, logs, temporary files) and
the keyring file are searched byte for byte. The same after a SIGKILL in the middle of
autosaving. The registry server's database may hold the patient (it is the registry); its
logs may not.

Everything is real: the server on loopback TLS, the client's services and sign-in, the sync
engine, the receipt PDF renderer.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from desktop_app.app import build_services
from desktop_app.config import Settings
from desktop_app.forms import load_catalogue
from desktop_app.forms.examples import example_values
from desktop_app.forms.identity import generate_identity_number
from desktop_app.receipts.pdf import write_receipt_pdf
from desktop_app.sign_in import sign_in
from desktop_app.user_session import UserSession
from local_cache import MessageState, open_cache
from local_cache.crypto import EncryptingCodec, UserKeys, new_key
from local_cache.user_cache import UserCache
from tests.support.client_settings import settings_for_tests
from tests.support.live_server import LiveServer
from tests.support.sync_client_process import Zygote

pytestmark = pytest.mark.timeout(120)


def _canary(seed: int) -> tuple[str, str]:
    rng = random.Random(seed)
    number = generate_identity_number(rng)
    return number, f"Kanarifugl Testesen{rng.randrange(10**6):06d}"


def _needles(number: str, name: str) -> list[bytes]:
    surname = name.split()[-1]
    return [
        number.encode(),
        f"{number[:6]} {number[6:]}".encode(),
        name.encode(),
        surname.encode(),
        surname.encode("utf-16-le"),
    ]


def _hits(folder: Path, needles: list[bytes]) -> list[str]:
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [f"{path.relative_to(folder)}: {n!r}" for n in needles if n in data]
    return found


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """Everything logged by the client and the (in-process) server, at DEBUG, into a file."""
    path = tmp_path / "logs" / "everything.log"
    path.parent.mkdir()
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield path
    root.removeHandler(handler)
    root.setLevel(level)
    handler.close()


def _settings(server: LiveServer, data_dir: Path) -> Settings:
    # The test session's file keyring is allowed here, and searched below.
    return settings_for_tests(server, data_dir, sync_interval_s=600.0, retry_interval_s=0.2)


def _wait(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_canary_leaves_no_plain_trace_on_the_client(tmp_path: Path, log_file: Path) -> None:
    number, name = _canary(1)
    needles = _needles(number, name)
    data_dir = tmp_path / "client"
    with LiveServer(tmp_path / "server") as server:
        services = build_services(_settings(server, data_dir))
        try:
            user = sign_in(services, "demo", "demo")
            assert isinstance(user, UserSession)
            record = user.drafts.new_draft("breast", "assessment", session=user.session)
            definition = load_catalogue().get("breast", "assessment", record.form_version)
            values = {
                **example_values(definition, random.Random(3)),
                **{k: v for k, v in user.drafts.open(record.id)[0].values.items()},
                "patient_id": number,
                "patient_name": name,
            }
            # Typed: every change autosaved, then the same check the duplicate warning makes.
            user.autosaver.save(record.id, values).result(timeout=5)
            assert [r.id for r in user.drafts.find_existing("breast", "assessment", number)] == [
                record.id
            ]
            assert [i for i in user.drafts.submit(record.id, values) if i.severity == "error"] == []
            user.start_sync()
            _wait(lambda: user.cache.messages.get(record.id).state is MessageState.RECEIPTED)
            receipt = user.cache.receipts.list(None)[0]
            pdf = write_receipt_pdf(receipt, tmp_path / "printed" / "receipt.pdf", viewer="demo")
            user.end()
        finally:
            services.shutdown()
        server_db = b"".join(p.read_bytes() for p in (tmp_path / "server").rglob("*.sqlite3*"))

    # Controls: the canary did travel, so a search that finds nothing means something.
    assert name in PdfReader(pdf).pages[0].extract_text()
    assert number.encode() in server_db
    assert log_file.stat().st_size > 0

    keyring_dir = Path(os.environ["XDG_DATA_HOME"]) / "python_keyring"
    assert _hits(data_dir, needles) == []
    assert _hits(keyring_dir, needles) == [] if keyring_dir.exists() else True
    assert _hits(log_file.parent, needles) == []


def test_the_canary_stays_encrypted_after_a_kill_mid_autosave(tmp_path: Path) -> None:
    number, name = _canary(2)
    path = tmp_path / "client" / "cache.sqlite3"
    kwargs = {
        "path": str(path),
        "owner": "kill.test",
        "data_key": new_key().hex(),
        "outbox_key": new_key().hex(),
        "values": {"patient_id": number, "patient_name": name},
    }
    with Zygote(["tests.support.canary_writer"], stderr_path=tmp_path / "stderr") as zygote:
        for _ in range(3):
            child = zygote.spawn("tests.support.canary_writer:autosave_until_killed", **kwargs)
            for _ in range(random.Random(5).randint(20, 80)):
                assert child.wait_for(lambda line: line.startswith("ACK ")), zygote.stderr_tail()
            assert child.kill() == -signal.SIGKILL
    assert _hits(path.parent, _needles(number, name)) == []
    # Control: the drafts are there and hold the canary, for whoever has the keys.
    keys = UserKeys(bytes.fromhex(kwargs["data_key"]), bytes.fromhex(kwargs["outbox_key"]))
    cache = open_cache(path)
    try:
        drafts = UserCache(cache, "kill.test", EncryptingCodec(keys)).messages.list(None)
        assert len(drafts) == 3 and all(d.values["patient_name"] == name for d in drafts)
    finally:
        cache.close()
