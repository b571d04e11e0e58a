"""The sync engine against the real server: send, survive outages, return invalid messages."""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop_app.app import build_services
from desktop_app.auth import Session, SessionService, TokenStore
from desktop_app.events import (
    ConnectivityChanged,
    EventBus,
    MessageStateChanged,
    OutboxChanged,
    RemindersUpdated,
    SignInRequired,
    SyncStatusChanged,
)
from desktop_app.forms import Catalogue, body_sha256, generate_identity_number
from desktop_app.forms.examples import example_values
from desktop_app.sign_in import sign_in
from desktop_app.sync.api_client import ApiClient
from desktop_app.sync.engine import SyncEngine
from desktop_app.user_session import UserSession
from local_cache import Cache, MessageRecord, MessageState, Quarantine
from tests.support.client_settings import settings_for_tests
from tests.support.live_server import LiveServer

from .conftest import Recorder, wait_for
from .scripted_api import passes_done


@pytest.fixture
def make_engine(
    cache: Cache, api: ApiClient, session: Session, bus: EventBus
) -> Iterator[Callable[..., SyncEngine]]:
    engines: list[SyncEngine] = []

    def make(**kwargs: float | int) -> SyncEngine:
        engine = SyncEngine(cache, api, session, bus, **kwargs)
        engines.append(engine)
        engine.start()
        return engine

    yield make
    for engine in engines:
        engine.stop()


def _state(cache: Cache, record: MessageRecord) -> MessageState:
    return cache.messages.get(record.id).state


def test_a_queued_message_is_sent_and_its_receipt_stored(
    cache: Cache,
    server: LiveServer,
    session: Session,
    make_engine: Callable[..., SyncEngine],
    queue_valid_message: Callable[[], MessageRecord],
    recorder: Recorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    reminder_id = server.add_reminder(
        "demo",
        registry="breast",
        form="treatment",
        patient_id=generate_identity_number(random.Random(3)),
    )
    record = queue_valid_message()

    engine = make_engine(interval_s=30.0, retry_s=0.2)
    wait_for(lambda: _state(cache, record) == MessageState.RECEIPTED)

    sent = cache.messages.get(record.id)
    receipt = cache.receipts.get(sent.receipt_id)
    assert receipt.message_id == record.id
    assert receipt.body_sha256 == body_sha256(record.body)
    assert server.message_count() == 1
    wait_for(lambda: recorder.of(RemindersUpdated))
    reminders, fetched_at = cache.reminders.list("demo")
    assert reminder_id in [r["id"] for r in reminders]
    assert fetched_at is not None
    assert engine.online is True
    assert recorder.of(ConnectivityChanged) == [
        ConnectivityChanged(online=True, detail="Connected to the registry server.")
    ]
    assert [e.state for e in recorder.of(MessageStateChanged)] == ["sending", "receipted"]
    assert recorder.of(OutboxChanged)[-1] == OutboxChanged(unsent=0)
    # Logs carry message ids, never tokens or identity numbers.
    assert record.id in caplog.text
    assert session.token() not in caplog.text
    assert record.body["values"]["patient_id"] not in caplog.text


def test_while_the_server_is_down_the_message_waits_then_goes_by_itself(
    cache: Cache,
    server: LiveServer,
    make_engine: Callable[..., SyncEngine],
    queue_valid_message: Callable[[], MessageRecord],
    recorder: Recorder,
) -> None:
    server.stop()
    record = queue_valid_message()

    engine = make_engine(interval_s=1.0, retry_s=0.1)
    wait_for(lambda: recorder.of(ConnectivityChanged))
    offline = recorder.of(ConnectivityChanged)[0]
    assert offline.online is False
    assert "cannot be reached" in offline.detail
    wait_for(lambda: cache.messages.get(record.id).attempts >= 2)
    waiting = cache.messages.get(record.id)
    assert waiting.state in (MessageState.QUEUED, MessageState.SENDING)
    assert waiting.idempotency_key == record.idempotency_key
    assert "cannot be reached" in (waiting.last_error or "")
    assert engine.online is False
    assert server.message_count() == 0

    server.start()  # no request_sync(): the engine's retry finds the server by itself
    wait_for(lambda: _state(cache, record) == MessageState.RECEIPTED)
    assert server.message_count() == 1
    wait_for(lambda: engine.online is True)
    assert [e.online for e in recorder.of(ConnectivityChanged)] == [False, True]


def test_a_message_the_server_finds_invalid_goes_back_to_draft_with_its_issues(
    cache: Cache, make_engine: Callable[..., SyncEngine], server: LiveServer
) -> None:
    # Bypasses the client's validation on purpose: only the server's answer is under test.
    draft = cache.messages.create_draft("demo", "breast", "assessment", 1)
    body = {
        "message_id": draft.id,
        "registry": "breast",
        "form": "assessment",
        "version": 1,
        "values": {"patient_id": "12345678901"},
    }
    cache.messages.submit(draft.id, body)

    make_engine(interval_s=30.0, retry_s=0.2)
    wait_for(lambda: _state(cache, draft) == MessageState.DRAFT)

    returned = cache.messages.get(draft.id)
    assert any(i["path"] == "patient_id" for i in returned.server_issues)
    assert returned.last_error
    assert server.message_count() == 0


def test_a_rejected_token_asks_for_sign_in_and_keeps_the_message(
    cache: Cache,
    server: LiveServer,
    make_engine: Callable[..., SyncEngine],
    queue_valid_message: Callable[[], MessageRecord],
    recorder: Recorder,
) -> None:
    server.expire_tokens("demo")
    record = queue_valid_message()

    engine = make_engine(interval_s=0.1, retry_s=0.1)
    wait_for(lambda: recorder.of(SignInRequired))

    assert "Sign in again" in recorder.of(SignInRequired)[0].detail
    time.sleep(0.3)  # several intervals: the engine must not keep sending
    kept = cache.messages.get(record.id)
    assert kept.state == MessageState.QUEUED
    assert kept.attempts == 0  # released, not failed: the server never looked at it
    assert kept.idempotency_key == record.idempotency_key
    assert len(recorder.of(SignInRequired)) == 1
    assert engine.running


def test_without_a_token_nothing_is_sent(
    cache: Cache,
    session: Session,
    server: LiveServer,
    queue_valid_message: Callable[[], MessageRecord],
    make_engine: Callable[..., SyncEngine],
    recorder: Recorder,
) -> None:
    session.tokens.delete(session.server_url, session.username)
    record = queue_valid_message()

    make_engine(interval_s=0.1, retry_s=0.1)
    wait_for(lambda: recorder.of(SignInRequired))

    assert _state(cache, record) == MessageState.QUEUED
    assert cache.messages.get(record.id).attempts == 0
    assert server.message_count() == 0


def test_request_sync_wakes_the_engine_and_stop_is_prompt(
    cache: Cache,
    make_engine: Callable[..., SyncEngine],
    queue_valid_message: Callable[[], MessageRecord],
    recorder: Recorder,
) -> None:
    engine = make_engine(interval_s=600.0, retry_s=600.0)
    wait_for(lambda: recorder.of(RemindersUpdated))  # the first pass is done

    record = queue_valid_message()
    engine.request_sync()
    wait_for(lambda: _state(cache, record) == MessageState.RECEIPTED)

    started = time.monotonic()
    engine.stop()
    assert time.monotonic() - started < 5  # far below the 600 s interval
    assert not engine.running


def test_messages_interrupted_while_sending_are_sent_after_a_restart(
    cache: Cache,
    make_engine: Callable[..., SyncEngine],
    queue_valid_message: Callable[[], MessageRecord],
) -> None:
    record = queue_valid_message()
    # As if the app had crashed after claiming it.
    assert [r.id for r in cache.messages.claim_for_sending("demo")] == [record.id]

    make_engine(interval_s=30.0, retry_s=0.2)
    wait_for(lambda: _state(cache, record) == MessageState.RECEIPTED)


def test_a_message_too_large_for_the_server_goes_back_to_draft(
    tmp_path: Path,
    cache: Cache,
    queue_valid_message: Callable[[], MessageRecord],
    bus: EventBus,
    recorder: Recorder,
) -> None:
    record = queue_valid_message()
    with (
        LiveServer(tmp_path / "small-server", max_body_bytes=100) as server,
        ApiClient(server.url, ca_bundle=str(server.ca_path), timeout=5) as api,
    ):
        session = SessionService(api, cache.users, TokenStore(), server.url).sign_in("demo", "demo")
        engine = SyncEngine(cache, api, session, bus, interval_s=30.0, retry_s=0.2)
        engine.start()
        try:
            wait_for(lambda: _state(cache, record) == MessageState.DRAFT)
        finally:
            engine.stop()
        assert server.message_count() == 0
    returned = cache.messages.get(record.id)
    assert returned.last_error and returned.last_error.startswith(
        "The registry server refused the message: "
    )
    assert [e.state for e in recorder.of(MessageStateChanged)] == ["sending", "draft"]


# --- batches (POST /messages/batch) -----------------------------------------------------------


@pytest.fixture
def queue_many(cache: Cache, catalogue: Catalogue) -> Callable[[int], list[str]]:
    """Queue `count` valid messages straight through the cache (one set of synthetic answers:
    the server takes the same patient's report more than once)."""
    definition = catalogue.latest("breast", "assessment")
    values = example_values(definition, random.Random(7))
    sent = definition.submitted_values(values)

    def queue(count: int) -> list[str]:
        ids = []
        for _ in range(count):
            record = cache.messages.create_draft(
                "demo", "breast", "assessment", definition.version, values
            )
            body = {
                "message_id": record.id,
                "registry": "breast",
                "form": "assessment",
                "version": definition.version,
                "values": sent,
            }
            cache.messages.submit(record.id, body)
            ids.append(record.id)
        return ids

    return queue


def test_an_outbox_goes_in_batches_with_progress(
    cache: Cache,
    server: LiveServer,
    make_engine: Callable[..., SyncEngine],
    queue_many: Callable[[int], list[str]],
    recorder: Recorder,
) -> None:
    ids = queue_many(25)

    engine = make_engine(interval_s=30.0, retry_s=0.2, batch_size=10)
    wait_for(lambda: passes_done(recorder) == 1)

    assert {cache.messages.get(i).state for i in ids} == {MessageState.RECEIPTED}
    assert server.message_count() == 25
    assert len(cache.receipts.list("demo")) == 25
    progress = [(e.status.done, e.status.total) for e in recorder.of(SyncStatusChanged)]
    steps = [p for i, p in enumerate(progress) if i == 0 or p != progress[i - 1]]
    assert steps == [(0, 25), (10, 25), (20, 25), (25, 25)]
    assert [e.unsent for e in recorder.of(OutboxChanged)] == [25, 15, 5, 0]
    status = engine.status
    assert (status.syncing, status.online, status.last_error) == (False, True, None)
    assert status.last_success_at is not None and status.server_wait_until is None


def test_a_batch_settles_receipts_invalid_messages_and_conflicts_together(
    cache: Cache,
    api: ApiClient,
    session: Session,
    server: LiveServer,
    make_engine: Callable[..., SyncEngine],
    queue_many: Callable[[int], list[str]],
) -> None:
    good, taken = queue_many(2)
    # The server already has `taken` under another key: sending it with ours is a 409.
    body = cache.messages.get(taken).body
    api.submit(session.token(), body, str(uuid.uuid4()))
    invalid = cache.messages.create_draft("demo", "breast", "assessment", 1)
    cache.messages.submit(
        invalid.id,
        {
            "message_id": invalid.id,
            "registry": "breast",
            "form": "assessment",
            "version": 1,
            "values": {"patient_id": "12345678901"},
        },
    )

    make_engine(interval_s=30.0, retry_s=0.2)
    wait_for(lambda: cache.messages.get(invalid.id).state == MessageState.DRAFT)

    assert cache.messages.get(good).state == MessageState.RECEIPTED
    rejected = cache.messages.get(taken)
    assert rejected.state == MessageState.REJECTED and rejected.last_error
    assert any(i["path"] == "patient_id" for i in cache.messages.get(invalid.id).server_issues)
    assert server.message_count() == 2  # `good`, and `taken` under the other key
    assert len(cache.messages.list("demo", [MessageState.REJECTED])) == 1


def test_cancel_ends_the_pass_after_the_batch_in_flight(
    cache: Cache,
    server: LiveServer,
    bus: EventBus,
    make_engine: Callable[..., SyncEngine],
    queue_many: Callable[[int], list[str]],
    recorder: Recorder,
) -> None:
    ids = queue_many(20)
    engines: list[SyncEngine] = []

    def cancel_on_first_receipt(event: object) -> None:
        # Runs on the engine's thread right after the first batch is recorded.
        if isinstance(event, MessageStateChanged) and event.state == "receipted" and engines:
            engines[0].cancel()

    bus.subscribe(cancel_on_first_receipt)
    engines.append(make_engine(interval_s=600.0, retry_s=600.0, batch_size=5))
    wait_for(lambda: passes_done(recorder) == 1)

    states = [cache.messages.get(i) for i in ids]
    assert [r.state for r in states] == [MessageState.RECEIPTED] * 5 + [MessageState.QUEUED] * 15
    assert {r.attempts for r in states[5:]} == {0}
    assert server.message_count() == 5
    assert recorder.of(RemindersUpdated) == []  # the pass ended there
    assert engines[0].status.syncing is False


def test_user_session_send_now_retry_and_cancel(
    tmp_path: Path, server: LiveServer, queue_many: Callable[[int], list[str]]
) -> None:
    settings = settings_for_tests(
        server,
        tmp_path / "services",
        sync_interval_s=600.0,
        retry_interval_s=600.0,
        sync_batch_size=3,
    )
    services = build_services(settings)
    user = None
    try:
        user = sign_in(services, "demo", "demo")
        assert isinstance(user, UserSession)
        user.send_now()  # no engine yet: nothing happens, nothing fails
        user.cancel_sync()
        assert user.retry([]) == 0
        engine = user.start_sync()
        assert engine.batch_size == 3
        assert services.api.timeout == settings.request_timeout_s == 15.0
        wait_for(lambda: engine.status.last_success_at is not None)

        record = user.drafts.new_draft("breast", "assessment")
        definition = services.catalogue.get("breast", "assessment", record.form_version)
        assert not user.drafts.submit(record.id, example_values(definition, random.Random(5)))
        user.send_now()
        wait_for(lambda: user.cache.messages.get(record.id).state == MessageState.RECEIPTED)

        # A quarantined message: "Retry" queues it again with the same key and sends it.
        again = user.drafts.new_draft("breast", "assessment")
        assert not user.drafts.submit(again.id, example_values(definition, random.Random(6)))
        key = user.cache.messages.get(again.id).idempotency_key
        user.stop_sync()
        assert user.sync is None
        user.cache.messages.claim_outgoing("demo")
        user.cache.messages.record_outcomes([Quarantine(again.id, "Refused for the test.")])
        engine = user.start_sync()
        assert user.retry([again.id, record.id]) == 1
        wait_for(lambda: user.cache.messages.get(again.id).state == MessageState.RECEIPTED)
        assert user.cache.messages.get(again.id).idempotency_key == key
        user.cancel_sync()  # idle: a no-op
        assert engine.running
        user.end()
        assert not engine.running and user.sync is None
    finally:
        if user is not None:
            user.end()
        services.shutdown()
