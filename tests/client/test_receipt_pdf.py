from collections.abc import Callable
from pathlib import Path

from pypdf import PdfReader

from desktop_app.auth import Session
from desktop_app.forms import Catalogue
from desktop_app.receipt_pdf import receipt_lines, write_receipt_pdf
from desktop_app.sync.api_client import ApiClient, Receipted
from local_cache import Cache, MessageRecord, ReceiptRecord


def _real_receipt(
    cache: Cache, api: ApiClient, session: Session, record: MessageRecord
) -> ReceiptRecord:
    """Send the message as the engine would and store the server's receipt."""
    [claimed] = cache.messages.claim_for_sending("demo")
    result = api.submit(session.token() or "", claimed.body, claimed.idempotency_key)
    assert isinstance(result, Receipted) and result.replay is False
    cache.messages.mark_receipted(record.id, result.receipt)
    return cache.receipts.get(result.receipt["receipt_id"])


def test_the_pdf_shows_the_receipt_id_and_the_full_hash(
    tmp_path: Path,
    cache: Cache,
    api: ApiClient,
    session: Session,
    queue_valid_message: Callable[[], MessageRecord],
) -> None:
    receipt = _real_receipt(cache, api, session, queue_valid_message())

    path = write_receipt_pdf(receipt, tmp_path / "receipts" / "receipt.pdf")

    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    assert "Receipt for message to the Cancer Registry" in text
    assert receipt.receipt_id in text
    assert receipt.message_id in text
    assert receipt.body_sha256 in text.splitlines()  # whole, on one line
    lines = dict(receipt_lines(receipt))
    assert lines["Receipt ID"] == receipt.receipt_id
    assert lines["Body SHA-256"] == receipt.body_sha256
    assert lines["Form version"] == str(receipt.version)
    assert len(lines) == 9


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
    assert again.receipt["receipt_id"] == receipt.receipt_id


class _CatalogueNames:
    """Registry and form titles from the catalogue, as the UI's CatalogueNames gives them."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    def registry(self, registry: str) -> str:
        return self.catalogue.registry(registry).title_text("en")

    def form(self, registry: str, form: str, version: int | None = None) -> str:
        return self.catalogue.get(registry, form, version).title_text("en")


def test_the_pdf_names_registry_form_and_unit_and_keeps_their_ids(
    tmp_path: Path,
    cache: Cache,
    api: ApiClient,
    session: Session,
    catalogue: Catalogue,
    queue_valid_message: Callable[[], MessageRecord],
) -> None:
    receipt = _real_receipt(cache, api, session, queue_valid_message())
    names = _CatalogueNames(catalogue)

    path = write_receipt_pdf(receipt, tmp_path / "receipt.pdf", names, session.unit["name"])

    lines = dict(receipt_lines(receipt, names, session.unit["name"]))
    assert lines["Registry"] == "Breast cancer (breast)"
    version = receipt.version
    assert lines["Form"] == f"Breast cancer – assessment (assessment, version {version})"
    assert lines["Unit"] == f"{session.unit['name']} ({receipt.unit_id})"
    text = " ".join("".join(page.extract_text() for page in PdfReader(path).pages).split())
    assert "Breast cancer (breast)" in text
    assert "Breast cancer – assessment" in text
    assert receipt.receipt_id in text


def test_without_names_the_receipt_shows_the_ids(
    cache: Cache, api: ApiClient, session: Session, queue_valid_message
) -> None:
    receipt = _real_receipt(cache, api, session, queue_valid_message())
    lines = dict(receipt_lines(receipt))
    assert (lines["Registry"], lines["Form"]) == ("breast", "assessment")
    assert lines["Unit"] == str(receipt.unit_id)
