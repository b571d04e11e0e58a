"""Checking receipts from their files, as a person with the paper or the PDF would: a genuine
receipt (the demo server's, so `verify-receipt` says it proves nothing outside a demonstration
and exits 3 unless --allow-demo-key) from its PDF with only the shipped key, printed, scanned
and decoded; what the signature covers; a PDF whose metadata and page disagree; a PDF that is
only a picture; files that are not receipts or cannot be read. The real server on loopback
TLS, `verify-receipt` run as its own process.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image
from pypdf import PdfWriter

from desktop_app.auth import Session
from desktop_app.events import EventBus
from desktop_app.forms import Catalogue
from desktop_app.receipt_signature import qr_text as code_of
from desktop_app.receipts.pdf import write_receipt_pdf
from desktop_app.receipts.texts import local_date_time
from desktop_app.sync.api_client import ApiClient
from desktop_app.sync.engine import SyncEngine
from local_cache import Cache
from registry_server.signing import demo_key
from tests.support.receipt_checks import qr_codes_in_pdf, run_pass, verify_receipt

from .conftest import DEMO_USER, queue_messages


def _sent(cache: Cache, api: ApiClient, session: Session, catalogue: Catalogue, seed: int):
    """One message sent by a real engine pass; its stored receipt."""
    [queued] = queue_messages(cache, catalogue, 1, seed=seed)
    engine = SyncEngine(cache, api, session, EventBus(), interval_s=600, retry_s=0.1)
    try:
        run_pass(engine)
    finally:
        engine.stop()
    return cache.receipts.get(cache.messages.get(queued.id).receipt_id)


def test_a_genuine_receipt_verifies_on_arrival_from_its_pdf_and_printed_and_scanned(
    tmp_path: Path, api: ApiClient, cache: Cache, session: Session, catalogue: Catalogue
) -> None:
    receipt = _sent(cache, api, session, catalogue, seed=5)
    assert receipt.verdict == "valid"
    assert receipt.raw["key_id"] == demo_key().key_id  # the demo server's, which we ship

    pdf = write_receipt_pdf(receipt, tmp_path / "receipt.pdf", catalogue, viewer=DEMO_USER[0])
    only_shipped = tmp_path / "fresh-computer"  # no client data: the shipped key alone
    result = verify_receipt(pdf, only_shipped)
    # The demo server's key: valid, but it proves nothing, and the exit status says so.
    assert result.status == 3, result
    date, time = local_date_time(receipt.received_at, "en", offset=True)  # type: ignore[misc]
    raw = receipt.raw
    assert result.out.splitlines() == [
        f"VALID, BUT SIGNED WITH THE PUBLIC DEMO KEY {demo_key().key_id}: receipt "
        f"{receipt.receipt_id} for Breast cancer – assessment, version {receipt.version}, "
        f"received by the registry on {date} at {time}. Anyone can make such a receipt: it "
        "proves nothing outside a demonstration.",
        "The signature covers only what the code holds: registry breast, form assessment "
        f"version {receipt.version}, message ID {receipt.message_id}, receipt ID "
        f"{receipt.receipt_id}, received {receipt.received_at}, body SHA-256 "
        f"{receipt.body_sha256}, unit {raw['unit_id']} and key {raw['key_id']}. The patient, "
        "hospital and reporter printed on the page are NOT signed: compare them with your own "
        "records.",
    ]
    assert not only_shipped.exists()
    allowed = verify_receipt(pdf, only_shipped, "--allow-demo-key")
    assert (allowed.status, allowed.out) == (0, result.out)
    in_norwegian = verify_receipt(pdf, only_shipped, "--language", "nb")
    assert in_norwegian.status == 3
    assert in_norwegian.out.startswith("GYLDIG, MEN SIGNERT MED DEN OFFENTLIGE DEMONØKKELEN ")
    assert "IKKE signert" in in_norwegian.out

    # Printed, scanned at 150 dpi, decoded: the code is the receipt, and it verifies.
    [scanned] = qr_codes_in_pdf(pdf, tmp_path / "scan")
    assert scanned == code_of(receipt.raw)
    code_file = tmp_path / "scanned.txt"
    code_file.write_text(scanned, encoding="utf-8")
    from_code = verify_receipt(code_file, only_shipped, "--allow-demo-key")
    assert from_code.status == 0 and from_code.out == result.out.splitlines()[0]


def test_what_is_not_a_receipt_or_cannot_be_read_is_said_so(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("Hello, this is not a receipt.\n", encoding="utf-8")
    result = verify_receipt(note, tmp_path / "data")
    assert (result.status, result.out) == (1, f"NOT VALID: {note} holds no registry receipt code.")

    missing = tmp_path / "missing.pdf"
    result = verify_receipt(missing, tmp_path / "data")
    assert result.status == 2
    assert result.out == f"Cannot read {missing}: No such file or directory."

    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nnot really\n")
    result = verify_receipt(broken, tmp_path / "data")
    assert result.status == 2
    assert result.out.startswith(f"Cannot read {broken}: not a PDF that can be read (")
    assert result.err == ""  # one sentence, no library chatter


def test_a_pdf_whose_page_and_metadata_codes_differ_or_that_has_no_code_text_is_refused(
    tmp_path: Path, api: ApiClient, cache: Cache, session: Session, catalogue: Catalogue
) -> None:
    receipt = _sent(cache, api, session, catalogue, seed=8)
    genuine = write_receipt_pdf(receipt, tmp_path / "receipt.pdf", catalogue)

    # The metadata names another code than the page shows (one of them was changed).
    writer = PdfWriter(clone_from=genuine)
    other = code_of({**receipt.raw, "received_at": "2020-01-01T00:00:00Z"})
    writer.add_metadata({"/Keywords": other})
    mixed = tmp_path / "mixed.pdf"
    with mixed.open("wb") as out:
        writer.write(out)
    result = verify_receipt(mixed, tmp_path / "data", "--allow-demo-key")
    assert (result.status, result.out) == (
        1,
        f"NOT VALID: the receipt code in the metadata of {mixed} is not the code printed on "
        "its page; the file has been changed.",
    )

    # Printed to PDF as a picture: no code text on the page, even with the metadata kept.
    [png] = _page_images(genuine, tmp_path / "picture")
    picture = tmp_path / "picture.pdf"
    with Image.open(png) as image:
        image.convert("RGB").save(picture, "PDF", resolution=100)
    result = verify_receipt(picture, tmp_path / "data")
    assert result.status == 2, result
    assert result.out.startswith(f"Cannot check {picture}: the PDF holds no receipt code as text")
    assert "Scan its QR code" in result.out and "zbarimg" in result.out


def _page_images(pdf: Path, workdir: Path) -> list[Path]:
    workdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-r", "100", "-png", "-f", "1", "-l", "1", str(pdf), str(workdir / "p")],
        check=True,
        timeout=60,
    )
    return sorted(workdir.glob("p-*.png"))
