"""Checking receipts as a person with the paper or the file would: render a PDF to an image
(pdftoppm), decode its QR code (zxing-cpp), and run `registry-desktop verify-receipt` as its own
process. Plus `ReceiptTamper`, an ASGI wrapper for LiveServer that changes the receipts a real
server answers GET /api/v1/receipts with (a forged or corrupted answer)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ROOT = Path(__file__).resolve().parents[2]


def qr_codes_in_pdf(pdf: Path, workdir: Path, dpi: int = 150) -> list[str]:
    """The texts of the QR codes on the PDF's first page, as a scanner at `dpi` reads them."""
    import PIL.Image
    import zxingcpp

    workdir.mkdir(parents=True, exist_ok=True)
    prefix = workdir / pdf.stem
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-f", "1", "-l", "1", str(pdf), str(prefix)],
        check=True,
        timeout=60,
    )
    [image] = sorted(workdir.glob(f"{pdf.stem}-*.png"))
    with PIL.Image.open(image) as picture:
        found = zxingcpp.read_barcodes(picture)
    return [code.text for code in found if code.format == zxingcpp.BarcodeFormat.QRCode]


@dataclass(frozen=True)
class VerifyResult:
    status: int
    out: str
    err: str


def verify_receipt(path: Path, data_dir: Path, *extra: str, timeout: float = 60) -> VerifyResult:
    """`python -m desktop_app verify-receipt PATH --data-dir DATA_DIR [EXTRA...]` in its own
    process (empty extras are left out)."""
    command = [sys.executable, "-m", "desktop_app", "verify-receipt", str(path)]
    done = subprocess.run(
        [*command, "--data-dir", str(data_dir), *(e for e in extra if e)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return VerifyResult(done.returncode, done.stdout.strip(), done.stderr.strip())


Mutation = Callable[[dict], dict]


TAMPERED_PATHS = ("/api/v1/receipts", "/api/v1/messages/batch")


class ReceiptTamper:
    """Changes receipts in the server's answers to GET /api/v1/receipts and POST
    /api/v1/messages/batch: `mutations[receipt_id or message_id]` gets the receipt as the
    server sent it and returns what the client receives instead. `requests(path)` counts the
    requests to those paths since the last `set`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.mutations: dict[str, Mutation] = {}
        self._requests: dict[str, int] = {}

    def requests(self, path: str) -> int:
        with self._lock:
            return self._requests.get(path, 0)

    def set(self, mutations: dict[str, Mutation]) -> None:
        with self._lock:
            self.mutations = dict(mutations)
            self._requests = {}

    def wrap(self, app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or scope["path"] not in TAMPERED_PATHS:
                await app(scope, receive, send)
                return
            with self._lock:
                self._requests[scope["path"]] = self._requests.get(scope["path"], 0) + 1
            start: Message | None = None
            chunks: list[bytes] = []

            async def capture(message: Message) -> None:
                nonlocal start
                if message["type"] == "http.response.start":
                    start = message
                    return
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = self._changed(b"".join(chunks))
                assert start is not None
                headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})

            await app(scope, receive, capture)

        return wrapped

    def _changed(self, body: bytes) -> bytes:
        with self._lock:
            mutations = dict(self.mutations)
        try:
            data = json.loads(body)
        except ValueError:
            return body
        if not mutations or not isinstance(data, dict):
            return body

        def change(receipt: dict | None) -> dict | None:
            if not isinstance(receipt, dict):
                return receipt
            mutate = mutations.get(receipt.get("receipt_id")) or mutations.get(
                receipt.get("message_id")
            )
            return mutate(dict(receipt)) if mutate else receipt

        if isinstance(data.get("receipts"), list):
            data["receipts"] = [change(r) for r in data["receipts"]]
        for result in data.get("results") or []:
            if isinstance(result, dict):
                result["receipt"] = change(result.get("receipt"))
        return json.dumps(data).encode()


def one_byte_changed(value: object, at: int = -1) -> object:
    """`value` with one character changed to another of its kind (digit, hex letter, letter),
    at position `at` among its letters and digits; an int stays an int."""
    text = str(value)
    positions = [i for i, c in enumerate(text) if c.isalnum()]
    i = positions[at]
    c = text[i]
    if c.isdigit():
        new = str((int(c) + 1) % 10)
    elif c.lower() in "abcdef" and all(ch in "0123456789abcdef-" for ch in text.lower()):
        new = "abcdef"[("abcdef".index(c.lower()) + 1) % 6]
    else:
        new = {"z": "y", "Z": "Y"}.get(c, chr(ord(c) + 1))
    changed = text[:i] + new + text[i + 1 :]
    return int(changed) if isinstance(value, int) else changed


def run_pass(engine: Any, timeout: float = 20.0) -> None:
    """Start `engine` (a SyncEngine) or wake it, and wait until one more pass succeeded."""
    import time

    before = engine.status.last_success_at
    if engine.running:
        engine.request_sync()
    else:
        engine.start()
    deadline = time.monotonic() + timeout
    while engine.status.last_success_at == before:
        if time.monotonic() > deadline:
            raise AssertionError(f"No successful sync pass: {engine.status}")
        time.sleep(0.02)
