"""The sign-in throttle against parallel guesses, lockout by strangers and distributed guesses,
on the real server over HTTPS, on SQLite and PostgreSQL.

Other client addresses are other loopback addresses (127.0.0.2, ...): Linux answers on all of
127.0.0.0/8, so a client bound to one of them reaches the server as that address.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from threading import Barrier

import httpx
import pytest
from sqlalchemy import select

from registry_server.models import AuditEntry, SignInThrottle
from tests.support.live_server import LiveServer

TOKEN = "/api/v1/auth/token"
# Waits long enough that none runs out during a test (nothing here waits one out).
SETTINGS = {"sign_in_delay_s": 60.0, "sign_in_max_delay_s": 120.0}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def start_server(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., LiveServer]]:
    """Starts the demo server with these throttle settings, on SQLite or PostgreSQL."""
    url = ""
    if request.param == "postgresql":
        url = request.getfixturevalue("fresh_postgres_database_url")
    with ExitStack() as stack:

        def start(**settings: object) -> LiveServer:
            return stack.enter_context(
                LiveServer(tmp_path / "server", database_url=url, **{**SETTINGS, **settings})
            )

        yield start


@pytest.fixture
def clients(start_server: Callable[..., LiveServer]) -> Iterator[Callable[..., httpx.Client]]:
    """`clients(server, "127.0.0.2")`: an HTTPS client whose address is that one."""
    with ExitStack() as stack:

        def client(server: LiveServer, address: str = "127.0.0.1") -> httpx.Client:
            transport = httpx.HTTPTransport(verify=server.ssl_context(), local_address=address)
            return stack.enter_context(
                httpx.Client(base_url=server.url, transport=transport, timeout=30)
            )

        yield client


def _try(http: httpx.Client, password: str, username: str = "demo") -> int:
    return http.post(TOKEN, json={"username": username, "password": password}).status_code


def test_parallel_wrong_guesses_get_no_more_answers_than_the_limit(
    start_server: Callable[..., LiveServer], clients: Callable[..., httpx.Client]
) -> None:
    server = start_server(sign_in_user_failures=3)
    https = [clients(server) for _ in range(20)]
    for http in https:  # connect first: the TLS handshakes must not stagger the guesses
        assert http.get("/api/v1/health").status_code == 200
    barrier = Barrier(len(https))

    def guess(pair: tuple[int, httpx.Client]) -> int:
        number, http = pair
        barrier.wait()
        return _try(http, f"guess {number}")

    with ThreadPoolExecutor(len(https)) as pool:
        statuses = list(pool.map(guess, enumerate(https)))
    assert set(statuses) <= {401, 429}, statuses
    assert statuses.count(401) == 3, statuses  # the limit, however many come at once
    with server.session_factory() as session:
        counts = dict(session.execute(select(SignInThrottle.key, SignInThrottle.failures)).all())
    assert sorted(counts.values()) == [3, 3, 3]  # refused attempts are not counted
    assert _try(https[0], "demo") == 429  # the right password waits too


def test_a_strangers_wrong_attempts_do_not_lock_the_user_out_elsewhere(
    start_server: Callable[..., LiveServer], clients: Callable[..., httpx.Client]
) -> None:
    server = start_server()
    stranger, ward = clients(server, "127.0.0.1"), clients(server, "127.0.0.2")
    statuses = [_try(stranger, f"guess {i}") for i in range(6)]
    assert statuses == [401] * 5 + [429]
    assert _try(stranger, "demo") == 429  # the stranger's address waits, right password or not

    assert _try(ward, "a typo") == 401  # not 429: only the stranger's address waits
    answer = ward.post(TOKEN, json={"username": "demo", "password": "demo"})
    assert answer.status_code == 200 and answer.json()["user"]["username"] == "demo"
    with server.session_factory() as session:
        addresses = session.scalars(
            select(AuditEntry.client_address).where(AuditEntry.action == "sign_in")
        ).all()
    assert addresses == ["127.0.0.2"]
    # The clinician's success does not let the stranger go on guessing.
    assert _try(stranger, "guess 7") == 429


def test_the_users_limit_over_all_addresses_stops_a_distributed_guess(
    start_server: Callable[..., LiveServer], clients: Callable[..., httpx.Client]
) -> None:
    server = start_server(sign_in_user_total_failures=8)
    addresses = [f"127.0.0.{n}" for n in range(2, 6)]
    for address in addresses:  # 2 guesses each: under each address's limit of 5
        http = clients(server, address)
        assert [_try(http, "guess a"), _try(http, "guess b")] == [401, 401]
    for address in ("127.0.0.6", "127.0.0.7"):  # a new address: the username waits everywhere
        http = clients(server, address)
        assert _try(http, "guess c") == 429
        refused = http.post(TOKEN, json={"username": "demo", "password": "demo"})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 30
        assert _try(http, "demo", username="bergen") == 200  # other users are not held up


def test_a_success_takes_back_its_own_count_of_the_address(
    start_server: Callable[..., LiveServer], clients: Callable[..., httpx.Client]
) -> None:
    # A ward's PCs behind one NAT address sign in all day: successes must not add up to the
    # address's limit, nor may the one that reaches it leave the address waiting.
    server = start_server(sign_in_address_failures=3)
    http = clients(server)
    assert _try(http, "a typo") == 401 and _try(http, "another") == 401
    for _ in range(5):
        assert _try(http, "demo") == 200
        assert _try(http, "demo", username="bergen") == 200
    with server.session_factory() as session:
        rows = session.execute(select(SignInThrottle.key, SignInThrottle.failures)).all()
    assert [(key, failures) for key, failures in rows] == [("address:127.0.0.1", 2)]
    assert _try(http, "a third typo") == 401  # the third: now the address waits
    assert _try(http, "demo", username="bergen") == 429
