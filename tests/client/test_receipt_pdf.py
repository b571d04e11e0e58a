"""The receipt PDF of a real receipt from the real server: what it shows (patient and reporter
from this computer's copy, the form in words, local time, ids, fingerprint, signature), where
its QR text is, and how it reads in Norwegian."""

from collections.abc import Callable
from pathlib import Path

from pypdf import PdfReader

from desktop_app.auth import Session
from desktop_app.forms import Catalogue
from desktop_app.receipt_signature import qr_text
from desktop_app.receipts.content import receipt_content, receipt_lines
from desktop_app.receipts.files import receipt_code_in
from desktop_app.receipts.keys import TrustedKeys
from desktop_app.receipts.pdf import write_receipt_pdf
from desktop_app.receipts.texts import local_when
from desktop_app.sync.api_client import ApiClient, Receipted
from local_cache import Cache, MessageRecord, Receipt, ReceiptRecord


def _real_receipt(
    cache: Cache, api: ApiClient, session: Session, record: MessageRecord
) -> ReceiptRecord:
    """Send the message as the engine would and store the server's receipt (checked)."""
    [claimed] = cache.messages.claim_for_sending("demo")
    result = api.submit(session.token() or "", claimed.body, claimed.idempotency_key)
    assert isinstance(result, Receipted) and result.replay is False
    verdict = TrustedKeys().verdict(result.receipt).value
    cache.messages.record_outcomes([Receipt(record.id, result.receipt, verdict)])
    return cache.receipts.get(result.receipt["receipt_id"])


def _pdf_text(path: Path) -> str:
    return " ".join("".join(page.extract_text() for page in PdfReader(path).pages).split())


def test_the_pdf_shows_the_receipt_id_the_full_hash_and_the_qr_text(
    tmp_path: Path,
    cache: Cache,
    api: ApiClient,
    session: Session,
    queue_valid_message: Callable[[], MessageRecord],
) -> None:
    receipt = _real_receipt(cache, api, session, queue_valid_message())

    path = write_receipt_pdf(receipt, tmp_path / "receipts" / "receipt.pdf")

    raw_text = "".join(page.extract_text() for page in PdfReader(path).pages)
    assert "Receipt for message to the Cancer Registry" in raw_text
    assert receipt.receipt_id in raw_text
    assert receipt.message_id in raw_text
    assert receipt.body_sha256 in raw_text.splitlines()  # whole, on one line
    # The code the QR holds is in the metadata, exactly, for verify-receipt to read.
    code = qr_text(receipt.to_dict())
    assert PdfReader(path).metadata["/Keywords"] == code
    assert receipt_code_in(path) == code
    lines = dict(receipt_lines(receipt))
    assert lines["Receipt ID"] == receipt.receipt_id
    assert lines["Body SHA-256"] == receipt.body_sha256
    assert lines["Form version"] == str(receipt.version)
    assert lines["Received by the registry at"].startswith(local_when(receipt.received_at))
    # The demo server signs with the public demo key: valid, but never plainly so.
    key_id = receipt.raw["key_id"]
    assert lines["Signing key"] == f"{key_id} (the public demo key: for demonstrations only)"
    assert lines["Signature"] == (
        "Valid, but signed with the public DEMO key: proves nothing outside a demonstration"
    )
    page = " ".join(raw_text.split())
    assert page.startswith(
        "Receipt for message to the Cancer Registry Warning: this receipt is signed with the "
        "public DEMO key. Anyone can make such a receipt: it proves nothing outside a "
        "demonstration."
    )
    # Signed with a key that is not a demo key, the same receipt is plainly valid.
    registry_key = frozenset({"0" * 16})
    content = receipt_content(receipt, demo_key_ids=registry_key)
    assert dict(content.lines())["Signature"] == "Valid: signed by the registry"
    assert (content.warning, content.demo_key) == ("", False)
    assert not any(line.warn for s in content.sections for line in s.lines)


def test_the_printed_code_is_found_when_the_metadata_is_lost(
    tmp_path: Path,
    cache: Cache,
    api: ApiClient,
    session: Session,
    queue_valid_message: Callable[[], MessageRecord],
) -> None:
    """A PDF re-saved by some viewer keeps the page but may drop the Keywords: the code is
    printed under the QR code too, broken over lines, and read back whole."""
    from pypdf import PdfWriter

    receipt = _real_receipt(cache, api, session, queue_valid_message())
    original = write_receipt_pdf(receipt, tmp_path / "receipt.pdf")
    writer = PdfWriter()
    for page in PdfReader(original).pages:
        writer.add_page(page)
    writer.add_metadata({"/Keywords": "", "/Title": "re-saved"})
    resaved = tmp_path / "resaved.pdf"
    with resaved.open("wb") as out:
        writer.write(out)

    assert receipt_code_in(resaved) == qr_text(receipt.to_dict())


def test_the_patient_and_reporter_come_from_this_computers_copy(
    cache: Cache,
    api: ApiClient,
    session: Session,
    catalogue: Catalogue,
    queue_valid_message: Callable[[], MessageRecord],
) -> None:
    record = queue_valid_message()
    receipt = _real_receipt(cache, api, session, record)
    values = cache.messages.get(record.id).body["values"]
    definition = catalogue.get("breast", "assessment", receipt.version)

    lines = dict(receipt_lines(receipt, catalogue, "en", viewer="demo"))

    assert lines["National identity number"] == values["patient_id"]
    assert lines["Name"] == values["patient_name"]
    assert lines["Hospital"] == definition.field("hospital").choice_label(values["hospital"])
    assert lines["Department"].startswith(
        definition.field("department").choice_label(values["department"], "en")
    )
    assert lines["Reporter"] == f"{values['reporter_name']} (HPR no. {values['reporter_hpr']})"
    # Another user of this computer does not see the patient.
    other = receipt_content(receipt, catalogue, "en", viewer="someone.else")
    assert other.sections[0].lines == ()
    assert "another user" in other.sections[0].note
    assert values["patient_id"] not in " ".join(v for _, v in other.lines())


def test_the_pdf_names_registry_form_and_unit_and_keeps_their_ids(
    tmp_path: Path,
    cache: Cache,
    api: ApiClient,
    session: Session,
    catalogue: Catalogue,
    queue_valid_message: Callable[[], MessageRecord],
) -> None:
    receipt = _real_receipt(cache, api, session, queue_valid_message())
    unit = session.unit["name"]

    path = write_receipt_pdf(receipt, tmp_path / "receipt.pdf", catalogue, unit_name=unit)

    lines = dict(receipt_lines(receipt, catalogue, unit_name=unit))
    assert lines["Registry"] == "Breast cancer (breast)"
    # The version is said once, on its own line.
    assert lines["Form"] == "Breast cancer – assessment (assessment)"
    assert lines["Form version"] == str(receipt.version)
    assert lines["Unit (at the registry)"] == f"{unit} ({receipt.unit_id})"
    text = _pdf_text(path)
    assert text.count(f"version {receipt.version}") == 1  # "Form version 3" only
    assert "Breast cancer (breast)" in text
    assert "Breast cancer – assessment" in text
    assert receipt.receipt_id in text


def test_in_norwegian_the_receipt_reads_in_norwegian_with_a_dotted_date(
    tmp_path: Path,
    cache: Cache,
    api: ApiClient,
    session: Session,
    catalogue: Catalogue,
    queue_valid_message: Callable[[], MessageRecord],
) -> None:
    receipt = _real_receipt(cache, api, session, queue_valid_message())

    path = write_receipt_pdf(receipt, tmp_path / "kvittering.pdf", catalogue, "nb")

    lines = dict(receipt_lines(receipt, catalogue, "nb"))
    received = lines["Mottatt av registeret"]
    date, time = received.split(" ")[:2]
    day, month, year = date.split(".")
    assert (len(day), len(month), len(year)) == (2, 2, 4)
    assert len(time) == 5 and time[2] == ":"
    assert lines["Register"] == "Brystkreft (breast)"
    assert lines["Signatur"] == (
        "Gyldig, men signert med den offentlige DEMONØKKELEN: beviser ingenting utenfor en "
        "demonstrasjon"
    )
    assert "Kvittering for melding til Kreftregisteret" in _pdf_text(path)


def test_without_a_catalogue_the_receipt_shows_the_ids(
    cache: Cache, api: ApiClient, session: Session, queue_valid_message
) -> None:
    receipt = _real_receipt(cache, api, session, queue_valid_message())
    lines = dict(receipt_lines(receipt))
    assert (lines["Registry"], lines["Form"]) == ("breast", "assessment")
    assert lines["Unit (at the registry)"] == str(receipt.unit_id)


def test_replaying_a_message_returns_the_same_receipt(
    cache: Cache,
    api: ApiClient,
    session: Session,
    queue_valid_message: Callable[[], MessageRecord],
) -> None:
    record = queue_valid_message()
    receipt = _real_receipt(cache, api, session, record)
    stored = cache.messages.get(record.id)

    again = api.submit(session.token() or "", stored.body, stored.idempotency_key)

    assert isinstance(again, Receipted) and again.replay is True
    assert again.receipt == receipt.to_dict()  # the same receipt, the same signature
