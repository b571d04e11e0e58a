"""Receipts anyone can verify: the real server (demo key) on loopback TLS, real client caches,
the real receipts page offscreen, and `verify-receipt` run as its own process.

A receipt of the unit's changed on its way (one byte of each signed field, a wrong key id,
another receipt's signature) is refused by the client -- stored, because the message was
received, but with its verdict, and shown marked -- and by `verify-receipt`. A receipt for our
own message that does not verify (changed, or signed with the public demo key for other
content) leaves the message in the outbox, quarantined, until Retry brings the genuine one.
Files: test_receipt_files.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pypdf import PdfReader
from PySide6.QtCore import Qt

from desktop_app.auth import Session
from desktop_app.events import EventBus
from desktop_app.forms import Catalogue, body_sha256
from desktop_app.receipt_signature import SIGNED_FIELDS, SigningKey, Verdict, public_key_text
from desktop_app.receipt_signature import qr_text as code_of
from desktop_app.receipts.keys import TrustedKeys
from desktop_app.receipts.pdf import write_receipt_pdf
from desktop_app.sync.api_client import ApiClient, Receipted
from desktop_app.sync.engine import SyncEngine
from desktop_app.sync.receipt_steps import fetch_receipts, refresh_receipt_keys
from desktop_app.sync.steps import StepContext
from local_cache import Cache, open_cache
from registry_server.signing import demo_key
from tests.support.live_server import LiveServer
from tests.support.receipt_checks import (
    ReceiptTamper,
    one_byte_changed,
    run_pass,
    verify_receipt,
)
from ui.models.names import CatalogueNames
from ui.models.receipts_model import ReceiptsModel
from ui.models.table_model import WARNING_COLOUR
from ui.views.receipts_view import ReceiptsView

from .conftest import DEMO_USER, queue_messages

TAMPER = ReceiptTamper()
# A key the client knows (fetched, as if the registry had published it) but that did not sign.
OTHER = SigningKey(Ed25519PrivateKey.generate())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("server"), wrap_app=TAMPER.wrap) as live:
        yield live


@pytest.fixture(autouse=True)
def _no_tampering() -> Iterator[None]:
    TAMPER.set({})
    yield
    TAMPER.set({})


def _engine(cache: Cache, api: ApiClient, session: Session) -> SyncEngine:
    trusted = TrustedKeys.for_cache(cache, session.server_url)  # as Services.start_sync
    return SyncEngine(
        cache,
        api,
        session,
        EventBus(),
        interval_s=600,
        retry_s=0.1,
        receipt_verdict=lambda receipt: trusted.verdict(receipt).value,
    )


def _context(api: ApiClient, session: Session, cache: Cache) -> StepContext:
    token = session.token()
    assert token
    return StepContext(api, token, DEMO_USER[0], session, cache, EventBus())


def _send(api: ApiClient, token: str, sender: Cache, catalogue: Catalogue, n: int) -> list[dict]:
    """`n` messages sent from another computer (`sender`); their genuine receipts."""
    queue_messages(sender, catalogue, n, seed=n)
    claimed = sender.messages.claim_outgoing(DEMO_USER[0], n)
    results = api.submit_batch(token, [(m.idempotency_key, m.body) for m in claimed])
    assert all(isinstance(r, Receipted) for r in results)
    return [r.receipt for r in results]  # type: ignore[union-attr]


def _mutations(genuine: list[dict]) -> dict[str, tuple[Callable[[dict], dict], Verdict]]:
    """One way of changing each receipt (by its id), and what the client must find."""

    def changed(name: str, at: int = -1) -> Callable[[dict], dict]:
        return lambda r: {**r, name: one_byte_changed(r[name], at)}

    ways: list[tuple[Callable[[dict], dict], Verdict]] = [
        (changed(name, -2 if name == "received_at" else -1), Verdict.INVALID)
        for name in SIGNED_FIELDS
        if name != "key_id"
    ]
    ways += [
        (changed("key_id"), Verdict.UNKNOWN_KEY),  # a key nobody has
        (lambda r: {**r, "key_id": OTHER.key_id}, Verdict.INVALID),  # a key we know, not its
        (lambda r: {**r, "signature": genuine[0]["signature"]}, Verdict.INVALID),  # another's
        (changed("signature", 5), Verdict.INVALID),
    ]
    targets = genuine[1 : len(ways) + 1]
    assert len(targets) == len(ways)
    return {r["receipt_id"]: way for r, way in zip(targets, ways, strict=True)}


@pytest.mark.gui
def test_changed_receipts_are_refused_by_the_client_and_by_verify_receipt(
    qtbot,
    tmp_path: Path,
    api: ApiClient,
    token: str,
    cache: Cache,
    session: Session,
    catalogue: Catalogue,
) -> None:
    other_pc = open_cache(tmp_path / "other-pc" / "cache.sqlite3")
    try:
        genuine = _send(api, token, other_pc, catalogue, 13)
    finally:
        other_pc.close()
    mutations = _mutations(genuine)
    TAMPER.set({rid: way for rid, (way, _) in mutations.items()})
    known = {OTHER.key_id: public_key_text(OTHER.public_key)}
    cache.receipt_keys.save_keys(session.server_url, known, datetime.now(UTC))

    # This computer's sync: keys, then the unit's receipts by cursor (the real steps).
    context = _context(api, session, cache)
    refresh_receipt_keys(context)
    fetch_receipts(context)

    stored = {r.message_id: r for r in cache.receipts.list(DEMO_USER[0])}
    by_original = {r["receipt_id"]: r for r in genuine}
    expected = {}
    for rid, (way, verdict) in mutations.items():
        received = way(dict(by_original[rid]))
        expected[received["receipt_id"]] = verdict
        row = stored[received["message_id"]]
        assert row.raw == received  # stored as it arrived: the message was received
        assert row.verdict == verdict.value, (rid, received)
    untouched = stored[genuine[0]["message_id"]]
    assert untouched.verdict == "valid" and untouched.raw == genuine[0]
    assert len(stored) == 13

    # The receipts page marks each one: warning colour, words, the reason in the tooltip.
    names = CatalogueNames(catalogue, "en")
    model = ReceiptsModel(cache.receipts, DEMO_USER[0], names)
    view = ReceiptsView(model, names=names, unit=session.unit)
    qtbot.addWidget(view)
    view.refresh()
    assert model.rowCount() == 13
    words = {Verdict.INVALID: "NOT VALID", Verdict.UNKNOWN_KEY: "Unknown key"}
    reasons = {Verdict.INVALID: "does not match", Verdict.UNKNOWN_KEY: "does not know"}
    for row in range(model.rowCount()):
        index = model.index(row, model.COL_SIGNATURE)
        rid = model.data(model.index(row, model.COL_RECEIPT_ID))
        if rid == genuine[0]["receipt_id"]:  # genuine, but the demo server's: never plainly
            assert model.data(index) == "Valid, but signed with the public DEMO key"
            assert model.data(index, Qt.ItemDataRole.ForegroundRole) == WARNING_COLOUR
            assert "proves nothing outside a demonstration" in model.data(
                index, Qt.ItemDataRole.ToolTipRole
            )
            continue
        verdict = expected[rid]
        assert model.data(index) == words[verdict]
        assert model.data(index, Qt.ItemDataRole.ForegroundRole) == WARNING_COLOUR
        assert reasons[verdict] in model.data(index, Qt.ItemDataRole.ToolTipRole)
        patient = model.data(model.index(row, model.COL_PATIENT))
        assert patient == "Sent from another computer"
    assert "12 receipt(s) could not be verified" in view.summary.text()
    assert "1 receipt(s) are signed with the public DEMO key" in view.summary.text()

    # verify-receipt, offline, on each code as received, with the keys this computer has.
    data_dir = Path(cache.path).parent
    files = []
    for rid, verdict in expected.items():
        path = tmp_path / "codes" / f"{rid}.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_text(code_of(cache.receipts.get(rid).raw) + "\n", encoding="utf-8")
        files.append((path, rid, verdict))
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(
            pool.map(lambda f: verify_receipt(f[0], data_dir, "--with-fetched-keys"), files)
        )
    for (_, rid, verdict), result in zip(files, results, strict=True):
        assert result.status == 1, result
        if verdict is Verdict.UNKNOWN_KEY:
            assert result.out.startswith(f"NOT VALID: receipt {rid} is signed with key "), result
            assert "which neither this program nor the keys this computer fetched" in result.out
        else:
            assert result.out == (
                f"NOT VALID: receipt {rid} has been changed since the registry signed it, "
                "or its signature is not the registry's."
            ), result

    # The receipt that names the other key: without the keys this computer fetched (by
    # default, or on another computer), that key is unknown; a changed PDF is refused too.
    named_other = next(
        rid
        for rid, (way, _) in mutations.items()
        if way(dict(by_original[rid]))["key_id"] == OTHER.key_id
    )
    code = tmp_path / "codes" / f"{named_other}.txt"
    alone = verify_receipt(code, tmp_path / "no-data", "--with-fetched-keys")
    assert alone.status == 1 and "neither this program nor the keys" in alone.out
    shipped_only = verify_receipt(code, data_dir)
    assert shipped_only.status == 1 and "which this program does not know" in shipped_only.out
    assert "try again with --with-fetched-keys" in shipped_only.out
    changed_pdf = write_receipt_pdf(cache.receipts.get(named_other), tmp_path / "changed.pdf")
    result = verify_receipt(changed_pdf, data_dir, "--with-fetched-keys")
    assert result.status == 1 and result.out.startswith("NOT VALID: receipt "), result
    page = " ".join(PdfReader(changed_pdf).pages[0].extract_text().split())
    assert "Warning: this receipt's signature cannot be confirmed" in page
    assert "NOT VALID" in page


NOT_VERIFIED = (
    "The registry's receipt for this report could not be verified ({0}): the report is kept "
    "in the outbox. Retry later or tell the registry."
)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda r: {**r, "body_sha256": one_byte_changed(r["body_sha256"])},
            "its signature does not match it",
        ),
        # Anyone can sign with the public demo key: a receipt for other content, signed.
        (
            lambda r: demo_key().sign({**r, "body_sha256": "0" * 64}),
            "it is for other content than the report that was sent",
        ),
    ],
)
def test_a_receipt_for_our_own_message_that_does_not_verify_keeps_it_in_the_outbox(
    api: ApiClient,
    cache: Cache,
    session: Session,
    catalogue: Catalogue,
    change: Callable[[dict], dict],
    reason: str,
) -> None:
    [queued] = queue_messages(cache, catalogue, 1, seed=77)
    TAMPER.set({queued.id: change})
    engine = _engine(cache, api, session)
    try:
        run_pass(engine)
        record = cache.messages.get(queued.id)
        assert record.state == "rejected" and record.receipt_id is None
        assert record.last_error == NOT_VERIFIED.format(reason)
        assert TAMPER.requests("/api/v1/messages/batch") == 1  # not sent again in the pass
        # The same receipt fetched with the unit's receipts is stored as fetched, marked.
        [fetched] = [r for r in cache.receipts.list(DEMO_USER[0]) if r.message_id == queued.id]
        assert fetched.origin == "server"
        assert fetched.verdict == ("invalid" if "signature" in reason else "valid")

        # The user's Retry once the answers are genuine again: the server replays its receipt.
        TAMPER.set({})
        assert cache.messages.retry_rejected([queued.id]) == 1
        run_pass(engine)
    finally:
        engine.stop()
    record = cache.messages.get(queued.id)
    assert record.state == "receipted"
    receipt = cache.receipts.get(record.receipt_id)
    assert (receipt.origin, receipt.verdict, receipt.body_sha256) == (
        "this_pc",
        "valid",
        body_sha256(queued.body),
    )
    assert receipt.raw["body_sha256"] == receipt.body_sha256
