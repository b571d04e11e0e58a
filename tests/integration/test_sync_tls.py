"""TLS on the ward (issue 4): a server the client must not trust stops the sync before any
request leaves the PC, with a sentence the user can act on; plain http:// only with the
development flag.

Real parts: a client data folder whose cache holds queued messages, the composition root
(Settings -> build_services -> UserSession.start_sync: the real ApiClient and SyncEngine), the
fault proxy in pass mode between client and server (it counts requests by TLS record, so it
shows that none was sent; the positive cases show that it does count them) and the real registry
server with the certificate under test. The user signs in through a second, correctly certified
server on the same database, so the token is real: had anything been sent, it would be stored.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from starlette.types import ASGIApp, Receive, Scope, Send

from desktop_app.app import build_services
from desktop_app.auth import Session, SessionService, TokenStore
from desktop_app.config import Settings
from desktop_app.forms import Catalogue
from desktop_app.sync.api_client import ApiClient, InsecureUrlError
from desktop_app.sync.engine import SyncEngine
from desktop_app.sync.status import SyncStatus
from desktop_app.user_session import UserSession
from local_cache import Cache, MessageRecord, MessageState, open_cache
from local_cache.crypto import UserKeys, new_key
from registry_server.models import Message
from tests.support.fault_proxy import FaultProxy, ProxyStats
from tests.support.live_server import LiveServer
from tests.support.tls_certs import CertAuthority, ServerCert, expired_window, future_window

from .conftest import DEMO_USER, queue_messages

pytestmark = pytest.mark.timeout(60)

COUNT = 5
BATCH_SIZE = 2  # three batches: a refused pass must not go on to the next one
BATCHES = math.ceil(COUNT / BATCH_SIZE)
PASS_DEADLINE_S = 20.0
HOST = "127.0.0.1"

Outbox = dict[str, tuple[MessageState, str | None, dict | None]]


class RequestCounter:
    """ASGI wrapper counting the HTTP requests that reach the registry app at all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0

    def wrap(self, app: ASGIApp) -> ASGIApp:
        async def counted(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                with self._lock:
                    self.requests += 1
            await app(scope, receive, send)

        return counted


@dataclass
class Registry:
    """The registry's database, a trusted server on it to sign in through, the hospital CA."""

    hospital: CertAuthority
    sign_in_server: LiveServer
    data_dir: Path

    def stored(self, message_ids: Iterable[str]) -> int:
        """How many of these messages the registry holds (other tests' share the database)."""
        with self.sign_in_server.session_factory() as db:
            query = select(func.count()).where(Message.message_id.in_(list(message_ids)))
            return db.scalar(query) or 0

    @contextmanager
    def front(
        self, cert: ServerCert, *, plain_http: bool = False
    ) -> Iterator[tuple[LiveServer, FaultProxy, RequestCounter]]:
        """The server the ward PC meets (with `cert`, or plain http), behind a pass proxy."""
        counter = RequestCounter()
        server = LiveServer(
            self.data_dir, demo=False, tls=cert.tls, wrap_app=counter.wrap, plain_http=plain_http
        )
        with server, FaultProxy(server.port, mode="pass") as proxy:
            yield server, proxy, counter


@dataclass
class PassResult:
    status: SyncStatus
    before: Outbox
    after: Outbox
    records: list[MessageRecord]
    proxy: ProxyStats
    server_requests: int
    server_messages: int


@pytest.fixture(autouse=True)
def _no_trust_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sets what it needs; a developer's own variables must not decide."""
    for var in (
        "REGISTRY_CA_BUNDLE",
        "REGISTRY_USE_SYSTEM_TRUST",
        "REGISTRY_ALLOW_INSECURE_HTTP",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
    ):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    folder = tmp_path_factory.mktemp("registry")
    hospital = CertAuthority(folder / "pki", "hospital")
    cert = hospital.issue("sign-in", HOST)
    with LiveServer(folder / "server", tls=cert.tls) as server:
        yield Registry(hospital, server, folder / "server")


@pytest.fixture(scope="module")
def session(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """A real sign-in (token in the keyring), once: every test's engine sends with it."""
    cache = open_cache(tmp_path_factory.mktemp("sign-in") / "cache.sqlite3")
    url = registry.sign_in_server.url
    with ApiClient(url, ca_bundle=str(registry.hospital.ca_path)) as direct:
        sessions = SessionService(direct, cache.users, TokenStore(), url)
        signed_in = sessions.sign_in(*DEMO_USER)
        try:
            yield signed_in
        finally:
            sessions.sign_out(signed_in)
            cache.close()


@pytest.fixture
def client_dir(tmp_path: Path, catalogue: Catalogue) -> Path:
    """The client's data folder; its cache holds COUNT queued messages."""
    folder = tmp_path / "client"
    cache = open_cache(folder / "cache.sqlite3")
    try:
        queue_messages(cache, catalogue, COUNT, seed=7)
    finally:
        cache.close()
    return folder


# The clinician's keys on every client folder of this module (a folder's rows, once encrypted,
# open only under the keys they were encrypted with).
KEYS = UserKeys(new_key(), new_key())


def _settings(url: str, client_dir: Path, **overrides: object) -> Settings:
    """Settings as the app loads them (file, environment, then these), short sync timings."""
    return Settings.load(
        server_url=url,
        data_dir=client_dir,
        sync_interval_s=60.0,
        retry_interval_s=30.0,  # the next pass comes long after the test has looked
        sync_batch_size=BATCH_SIZE,
        request_timeout_s=5.0,
        **overrides,
    )


def _outbox(cache: Cache) -> Outbox:
    return {r.id: (r.state, r.idempotency_key, r.body) for r in cache.messages.list(DEMO_USER[0])}


def _read_outbox(client_dir: Path) -> Outbox:
    cache = open_cache(client_dir / "cache.sqlite3")
    try:
        return _outbox(cache)
    finally:
        cache.close()


def _wait_for_pass(engine: SyncEngine) -> SyncStatus:
    """The status once the first pass has ended (it has then planned the next one)."""
    deadline = time.monotonic() + PASS_DEADLINE_S
    while True:
        status = engine.status
        if not status.syncing and status.next_attempt_at is not None:
            return status
        assert time.monotonic() < deadline, f"The sync pass did not end: {status}"
        time.sleep(0.02)


def _sync_once(
    registry: Registry,
    session: Session,
    settings: Settings,
    proxy: FaultProxy,
    counter: RequestCounter,
) -> PassResult:
    """Build the client's services from `settings`, run one sync pass, shut them down."""
    services = build_services(settings)
    user: UserSession | None = None
    try:
        # The queued rows were written in plain text, as by an earlier version: the session
        # encrypts them under KEYS, as at the clinician's first sign-in here.
        user = UserSession(services, session, KEYS, adopt_plain_rows=True)
        before = _outbox(user.cache)
        status = _wait_for_pass(user.start_sync())
        user.stop_sync()
        after = _outbox(user.cache)
        records = user.cache.messages.list(DEMO_USER[0])
    finally:
        if user is not None:
            user.end()
        services.shutdown()
    return PassResult(
        status=status,
        before=before,
        after=after,
        records=records,
        proxy=proxy.stats,
        server_requests=counter.requests,
        server_messages=registry.stored(before),
    )


def _assert_refused(result: PassResult, *says: str) -> None:
    """Nothing left the PC, the outbox is as it was, the user reads what to do."""
    message = result.status.last_error
    assert message is not None
    for words in (*says, "Nothing was sent."):
        assert words in message, message
    assert "[SSL" not in message and "_ssl.c" not in message  # no OpenSSL jargon
    assert result.status.online is False
    assert result.status.last_success_at is None
    # The client did reach the proxy (the refusal is TLS's, not a missing server) ...
    assert result.proxy.connections >= 1
    # ... yet no request started on any connection, and none reached the registry app.
    assert result.proxy.requests == 0, result.proxy
    assert result.proxy.answers == 0
    assert result.server_requests == 0
    assert result.server_messages == 0
    # Same messages, all still queued, with the keys and bodies frozen at submit.
    assert len(result.before) == COUNT
    assert result.after == result.before
    assert {state for state, _, _ in result.after.values()} == {MessageState.QUEUED}
    # The pass stopped at the first batch; its messages carry the sentence for the outbox table.
    tried = [r for r in result.records if r.attempts]
    assert len(tried) == BATCH_SIZE
    assert all(r.last_error == message and r.attempts == 1 for r in tried)


def _assert_delivered(result: PassResult) -> None:
    assert result.status.last_error is None, result.status.last_error
    assert result.status.last_success_at is not None
    assert result.server_messages == COUNT
    assert {r.state for r in result.records} == {MessageState.RECEIPTED}
    # The same counters that read 0 above saw every batch (and the reminders request).
    assert result.server_requests >= BATCHES + 1


def _assert_tls_requests_counted(stats: ProxyStats) -> None:
    assert stats.requests >= BATCHES + 1, stats
    assert stats.opaque_connections == 0


# -- (a) an authority the client does not trust ---------------------------------------------


@pytest.mark.parametrize("client", ["certifi's CAs", "another CA bundle", "dev flag on"])
def test_a_certificate_from_an_untrusted_authority_is_refused(
    registry: Registry, session: Session, client_dir: Path, tmp_path: Path, client: str
) -> None:
    overrides: dict[str, object] = {}
    if client == "another CA bundle":
        overrides["ca_bundle"] = str(CertAuthority(tmp_path / "pki", "elsewhere").ca_path)
    if client == "dev flag on":  # the development flag never weakens https://
        overrides["allow_insecure_http"] = True
    cert = registry.hospital.issue("front", HOST, "localhost")
    with registry.front(cert) as (_, proxy, counter):
        result = _sync_once(
            registry, session, _settings(proxy.url, client_dir, **overrides), proxy, counter
        )

    _assert_refused(result, "does not trust", "IT department", "ca_bundle setting")


def test_the_hospital_ca_bundle_setting_makes_the_same_server_trusted(
    registry: Registry, session: Session, client_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_CA_BUNDLE", str(registry.hospital.ca_path))
    cert = registry.hospital.issue("front", HOST, "localhost")
    with registry.front(cert) as (_, proxy, counter):
        settings = _settings(proxy.url, client_dir)
        assert settings.ca_bundle == str(registry.hospital.ca_path)
        result = _sync_once(registry, session, settings, proxy, counter)

    _assert_delivered(result)
    _assert_tls_requests_counted(result.proxy)


# -- (b) a certificate for another host name ------------------------------------------------


@pytest.mark.parametrize("host", [HOST, "localhost"])
def test_a_certificate_for_another_host_name_is_refused(
    registry: Registry, session: Session, client_dir: Path, host: str
) -> None:
    cert = registry.hospital.issue("front", "registry.example")  # trusted, but not for `host`
    with registry.front(cert) as (_, proxy, counter):
        url = f"https://{host}:{proxy.port}"
        settings = _settings(url, client_dir, ca_bundle=str(registry.hospital.ca_path))
        result = _sync_once(registry, session, settings, proxy, counter)

    _assert_refused(result, f"not valid for the host name {host}", "server_url setting")


# -- (c) a certificate outside its validity ---------------------------------------------------


def test_an_expired_certificate_is_refused(
    registry: Registry, session: Session, client_dir: Path
) -> None:
    cert = registry.hospital.issue("front", HOST, valid=expired_window())
    with registry.front(cert) as (_, proxy, counter):
        settings = _settings(proxy.url, client_dir, ca_bundle=str(registry.hospital.ca_path))
        result = _sync_once(registry, session, settings, proxy, counter)

    _assert_refused(result, "has expired", "IT department")


def test_a_certificate_not_valid_yet_points_at_the_clock(
    registry: Registry, session: Session, client_dir: Path
) -> None:
    cert = registry.hospital.issue("front", HOST, valid=future_window())
    with registry.front(cert) as (_, proxy, counter):
        settings = _settings(proxy.url, client_dir, ca_bundle=str(registry.hospital.ca_path))
        result = _sync_once(registry, session, settings, proxy, counter)

    _assert_refused(result, "clock")
    assert "ca_bundle" not in (result.status.last_error or "")


# -- the operating system's trust store (truststore) ------------------------------------------


def test_system_trust_does_not_trust_the_test_authority(
    registry: Registry, session: Session, client_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_USE_SYSTEM_TRUST", "true")
    cert = registry.hospital.issue("front", HOST)
    with registry.front(cert) as (_, proxy, counter):
        settings = _settings(proxy.url, client_dir)
        assert settings.use_system_trust is True
        result = _sync_once(registry, session, settings, proxy, counter)

    _assert_refused(result, "does not trust", "IT department", "ca_bundle setting")


@pytest.mark.parametrize("how", ["ca_bundle too", "SSL_CERT_FILE"])
def test_system_trust_with_the_hospital_ca_is_trusted(
    registry: Registry,
    session: Session,
    client_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    if how == "SSL_CERT_FILE":
        # On Linux truststore verifies with OpenSSL's default paths, which follow
        # SSL_CERT_FILE; the plain (certifi) context does not, so this proves truststore is used.
        if not sys.platform.startswith("linux"):
            pytest.skip("Only Linux's truststore reads SSL_CERT_FILE.")
        monkeypatch.setenv("SSL_CERT_FILE", str(registry.hospital.ca_path))
    else:
        monkeypatch.setenv("REGISTRY_CA_BUNDLE", str(registry.hospital.ca_path))
    monkeypatch.setenv("REGISTRY_USE_SYSTEM_TRUST", "yes")
    cert = registry.hospital.issue("front", HOST)
    with registry.front(cert) as (_, proxy, counter):
        result = _sync_once(registry, session, _settings(proxy.url, client_dir), proxy, counter)

    _assert_delivered(result)
    _assert_tls_requests_counted(result.proxy)


def test_ssl_cert_file_alone_does_not_make_the_default_client_trust(
    registry: Registry, session: Session, client_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without use_system_trust the client verifies with certifi's CAs plus ca_bundle only."""
    monkeypatch.setenv("SSL_CERT_FILE", str(registry.hospital.ca_path))
    cert = registry.hospital.issue("front", HOST)
    with registry.front(cert) as (_, proxy, counter):
        result = _sync_once(registry, session, _settings(proxy.url, client_dir), proxy, counter)

    _assert_refused(result, "does not trust", "ca_bundle setting")


# -- (d) plain http:// --------------------------------------------------------------------------


def test_plain_http_is_refused_before_any_connection(registry: Registry, client_dir: Path) -> None:
    before = _read_outbox(client_dir)
    cert = registry.hospital.issue("front", HOST)
    with registry.front(cert, plain_http=True) as (_, proxy, counter):
        url = f"http://{HOST}:{proxy.port}"
        with pytest.raises(InsecureUrlError) as refused:
            build_services(_settings(url, client_dir))
        stats = proxy.stats
        served = counter.requests
        stored = registry.stored(before)

    # What the app shows at start-up (desktop_app.__main__ shows exc.message).
    message = refused.value.message
    for words in ("plain http://", "unencrypted", "https:// address", "server_url setting"):
        assert words in message, message
    assert stats.connections == 0  # the listener never even saw a connection
    assert served == 0 and stored == 0
    # The refused start-up closed the cache again with the outbox exactly as it was.
    after = _read_outbox(client_dir)
    assert len(after) == COUNT and after == before
    assert {state for state, _, _ in after.values()} == {MessageState.QUEUED}


def test_the_development_flag_lets_plain_http_through(
    registry: Registry, session: Session, client_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_ALLOW_INSECURE_HTTP", "1")
    cert = registry.hospital.issue("front", HOST)
    with registry.front(cert, plain_http=True) as (server, proxy, counter):
        assert server.url.startswith("http://")
        settings = _settings(f"http://{HOST}:{proxy.port}", client_dir)
        assert settings.allow_insecure_http is True
        result = _sync_once(registry, session, settings, proxy, counter)

    _assert_delivered(result)
    assert result.proxy.opaque_connections >= 1  # it really went as plain http
