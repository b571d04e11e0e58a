"""Receipts of the unit's messages sent from another computer: two client caches ("PCs") with
the same demo user against one real server. PC B's sync fetches PC A's receipts by cursor and
shows them as sent from another computer; a second fetch adds nothing; and a receipt fetched
before our own outbox stored it (the server committed, the client did not hear) does not make
the resend fail."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.auth import Session, SessionService, TokenStore
from desktop_app.events import EventBus, ReceiptsUpdated
from desktop_app.forms import Catalogue
from desktop_app.receipts.content import receipt_content
from desktop_app.receipts.keys import TrustedKeys
from desktop_app.sync.api_client import ApiClient, Receipted
from desktop_app.sync.engine import SyncEngine
from desktop_app.sync.receipt_steps import fetch_receipts
from desktop_app.sync.steps import StepContext
from local_cache import MessageState, open_cache
from tests.support.live_server import LiveServer
from tests.support.receipt_checks import run_pass
from ui.models.names import CatalogueNames
from ui.models.receipts_model import ReceiptsModel

from .conftest import DEMO_USER, queue_messages

OWNER = DEMO_USER[0]
# The demo server signs with the public demo key: valid, and never shown as plainly valid.
DEMO_VALID = "Valid, but signed with the public DEMO key"


class Events:
    """What a bus published (from the engine's thread)."""

    def __init__(self) -> None:
        self.bus = EventBus()
        self._lock = threading.Lock()
        self._seen: list[object] = []
        self.bus.subscribe(self._add)

    def _add(self, event: object) -> None:
        with self._lock:
            self._seen.append(event)

    def added(self) -> list[int]:
        with self._lock:
            return [e.added for e in self._seen if isinstance(e, ReceiptsUpdated)]


class Pc:
    """One computer: its own cache file, its own sign-in, its own sync engine."""

    def __init__(self, folder: Path, server: LiveServer, api: ApiClient) -> None:
        self.cache = open_cache(folder / "cache.sqlite3")
        self.api = api
        self.events = Events()
        sessions = SessionService(api, self.cache.users, TokenStore(), server.url)
        self.session: Session = sessions.sign_in(*DEMO_USER)
        trusted = TrustedKeys.for_cache(self.cache, self.session.server_url)
        self.engine = SyncEngine(
            self.cache,
            api,
            self.session,
            self.events.bus,
            interval_s=600,
            retry_s=0.1,
            receipt_verdict=lambda receipt: trusted.verdict(receipt).value,
        )

    def sync(self) -> None:
        run_pass(self.engine)

    def context(self) -> StepContext:
        token = self.session.token()
        assert token
        return StepContext(self.api, token, OWNER, self.session, self.cache, self.events.bus)

    def rows(self, catalogue: Catalogue) -> dict[str, tuple[str, str]]:
        """{receipt id: (patient column, signature column)} as the receipts page shows them."""
        model = ReceiptsModel(
            self.cache.receipts, OWNER, CatalogueNames(catalogue, "en"), unit_id=None
        )
        model.refresh()
        shown = {}
        for row in range(model.rowCount()):
            cell = lambda column: model.data(model.index(row, column))  # noqa: B023, E731
            shown[cell(model.COL_RECEIPT_ID)] = (cell(model.COL_PATIENT), cell(model.COL_SIGNATURE))
        return shown

    def close(self) -> None:
        self.engine.stop()
        self.cache.close()


@pytest.fixture
def pcs(tmp_path: Path, server: LiveServer, api: ApiClient) -> Iterator[tuple[Pc, Pc]]:
    a, b = Pc(tmp_path / "pc-a", server, api), Pc(tmp_path / "pc-b", server, api)
    yield a, b
    a.close()
    b.close()


@pytest.mark.gui
def test_the_other_computers_receipts_are_fetched_by_cursor_and_shown(
    qtbot,  # the page's model needs the QApplication
    pcs: tuple[Pc, Pc],
    catalogue: Catalogue,
) -> None:
    a, b = pcs
    b.sync()  # catch up with whatever the unit already has
    already = len(b.cache.receipts.list(OWNER))

    [sent] = queue_messages(a.cache, catalogue, 1, seed=11)
    a.sync()
    receipt_id = a.cache.messages.get(sent.id).receipt_id
    assert receipt_id is not None

    b.sync()
    fetched = b.cache.receipts.get(receipt_id)
    assert (fetched.origin, fetched.verdict, fetched.local_owner) == ("server", "valid", None)
    assert b.events.added()[-1] == 1
    assert len(b.cache.receipts.list(OWNER)) == already + 1
    values = sent.body["values"]
    assert b.rows(catalogue)[receipt_id] == ("Sent from another computer", DEMO_VALID)
    assert a.rows(catalogue)[receipt_id] == (
        f"{values['patient_id'][:6]}***** {values['patient_name']}",
        DEMO_VALID,
    )
    # B's printed receipt says where the message came from and names no patient, so it
    # does not say it may be filed with the patient's records; A's does.
    content = receipt_content(fetched, catalogue, viewer=OWNER)
    assert content.sections[0].note.startswith("Sent from another computer.")
    assert values["patient_id"] not in " ".join(value for _, value in content.lines())
    assert content.intro == "The registry has received the message below unchanged."
    ours = receipt_content(a.cache.receipts.get(receipt_id), catalogue, viewer=OWNER)
    assert "may be filed with the patient's records" in ours.intro

    # The cursor: fetching again adds nothing and says nothing.
    cursor = b.cache.receipt_keys.cursor(OWNER, b.session.server_url)
    assert cursor is not None
    events_before = len(b.events.added())
    fetch_receipts(b.context())
    assert len(b.cache.receipts.list(OWNER)) == already + 1
    assert len(b.events.added()) == events_before
    assert b.cache.receipt_keys.cursor(OWNER, b.session.server_url) == cursor

    # Only what is new since then comes next time.
    queue_messages(a.cache, catalogue, 2, seed=12)
    a.sync()
    fetch_receipts(b.context())
    assert b.events.added()[-1] == 2
    assert len(b.cache.receipts.list(OWNER)) == already + 3


def test_a_receipt_fetched_before_our_outbox_stored_it_does_not_fail_the_resend(
    pcs: tuple[Pc, Pc], catalogue: Catalogue
) -> None:
    a, _ = pcs
    [queued] = queue_messages(a.cache, catalogue, 1, seed=21)
    # Sent; the server committed; the client "crashed" before storing the answer.
    [claimed] = a.cache.messages.claim_outgoing(OWNER, 1)
    token = a.session.token()
    assert token
    [answer] = a.api.submit_batch(token, [(claimed.idempotency_key, claimed.body)])
    assert isinstance(answer, Receipted)
    receipt_id = answer.receipt["receipt_id"]

    # Restarted: the unit's receipts are fetched before the outbox is sent again.
    assert a.cache.messages.reset_interrupted() == 1
    fetch_receipts(a.context())
    early = a.cache.receipts.get(receipt_id)
    assert early.origin == "server" and early.verdict == "valid"
    assert early.local_owner == OWNER  # the message is on this computer: patient shown
    assert a.cache.messages.get(queued.id).state is MessageState.QUEUED

    a.sync()  # the resend: the server replays the same receipt, stored without a failure

    record = a.cache.messages.get(queued.id)
    assert record.state is MessageState.RECEIPTED and record.receipt_id == receipt_id
    ours = [r for r in a.cache.receipts.list(OWNER) if r.message_id == queued.id]
    assert [(r.receipt_id, r.origin, r.owner, r.verdict) for r in ours] == [
        (receipt_id, "this_pc", OWNER, "valid")
    ]
    assert a.engine.status.last_error is None
