"""The real registry server on 127.0.0.1 over TLS, in a background thread, for any test.

    from tests.support.live_server import LiveServer

    with LiveServer(tmp_path) as server:            # demo data: users demo/demo, bergen/demo
        client = httpx.Client(base_url=server.url, verify=server.ssl_context())
        ...
        server.stop()   # the port now refuses connections ...
        server.start()  # ... and the same server (same database) answers on it again

Clients trust `server.ca_path` (the PEM of a trustme CA made for this server).
`server.set_today(date)` moves the server's clock (form-version grace periods, date checks)
for the next request, without a restart; `set_today(None)` goes back to the real date. The database
(SQLite in `data_dir` unless `database_url` is given) is reachable while the server is stopped,
through `session_factory`, `message_count()`, `add_user()`, `add_reminder()` and
`expire_tokens()`.

`wrap_app` wraps the ASGI app (e.g. `tests.support.server_faults.ServerFaults`) on every start.
`plain_http=True` serves plain http:// without TLS (for the client's development flag only).
TLS 1.3 session tickets are off, so after the handshake the server sends nothing but answers:
`tests.support.fault_proxy` relies on that to tell where an answer begins.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import trustme
import uvicorn
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp

from registry_server.accounts import create_user, get_or_create_unit
from registry_server.app import create_app
from registry_server.db import make_engine, make_session_factory, upgrade_database
from registry_server.models import Message, Reminder, Token, User, utcnow
from registry_server.settings import ServerSettings

HOST = "127.0.0.1"


class _AbruptServer(uvicorn.Server):
    """Drops open connections at once on shutdown, like a server process that dies.

    A graceful TLS close would wait for idle keep-alive clients to answer close_notify,
    which a test's client never does while it is not reading: every stop would hang.
    """

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for connection in list(self.server_state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.abort()
        await super().shutdown(sockets)


class LiveServer:
    def __init__(
        self,
        data_dir: Path,
        *,
        database_url: str = "",
        demo: bool = True,
        port: int | None = None,
        token_ttl: datetime.timedelta | None = None,
        max_body_bytes: int | None = None,
        tls: tuple[Path, Path, Path] | None = None,
        today: datetime.date | None = None,
        wrap_app: Callable[[ASGIApp], ASGIApp] | None = None,
        plain_http: bool = False,
        reporting_unit_check: bool = False,
        **settings: Any,
    ) -> None:
        """`tls` = (ca_path, cert_path, key_path) to serve another certificate than trustme's.

        `reporting_unit_check` is off by default: most tests send example answers from any
        hospital (tests/server/test_security_reporting_unit.py turns it on). Further keyword
        arguments are ServerSettings fields (e.g. the sign-in throttle's delays)."""
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        extra: dict = {}
        if token_ttl is not None:
            extra["token_ttl"] = token_ttl
        if max_body_bytes is not None:
            extra["max_body_bytes"] = max_body_bytes
        self.settings = ServerSettings(
            data_dir=self.data_dir,
            database_url=database_url,
            demo=demo,
            today_override=today,
            reporting_unit_check=reporting_unit_check,
            **extra,
            **settings,
        )
        self.database_url: str = self.settings.database_url
        self.port: int | None = port
        self.wrap_app = wrap_app
        self.plain_http = plain_http
        self.ca_path, self._certfile, self._keyfile = tls or self._trustme_files()
        # The helper's own engine: usable before start() and while the server is stopped.
        self._engine = make_engine(self.database_url)
        upgrade_database(self._engine)
        self.session_factory: sessionmaker[Session] = make_session_factory(self._engine)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    # Running -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("The server has no port until it is started once.")
        return f"{'http' if self.plain_http else 'https'}://{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, timeout: float = 20.0) -> LiveServer:
        """Start (again) on the same port with the same database; a no-op when running."""
        if self._thread is not None:
            return self
        app: ASGIApp = create_app(self.settings)
        if self.wrap_app is not None:
            app = self.wrap_app(app)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, self.port or 0))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            host=HOST,
            port=self.port,
            ssl_certfile=None if self.plain_http else str(self._certfile),
            ssl_keyfile=None if self.plain_http else str(self._keyfile),
            log_config=None,  # leave the test run's logging alone
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
        config.load()
        # No NewSessionTicket after the handshake: the server's first bytes on a connection
        # are then the first answer (the fault proxy finds answers that way).
        assert (config.ssl is None) == self.plain_http
        if config.ssl is not None:
            config.ssl.num_tickets = 0
        server = _AbruptServer(config)
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            name=f"live-server-{self.port}",
            daemon=True,
        )
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(5)
                sock.close()
                raise RuntimeError(f"The test server did not start on {HOST}:{self.port}.")
            time.sleep(0.01)
        self._server, self._thread, self._socket = server, thread, sock
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop answering: afterwards connections to the port are refused."""
        if self._thread is None or self._server is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise RuntimeError("The test server did not stop in time.")
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def close(self) -> None:
        self.stop()
        self._engine.dispose()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def set_today(self, today: datetime.date | None) -> None:
        """The server's date from the next request on (the app reads these very settings)."""
        self.settings.today_override = today

    # For clients ----------------------------------------------------------------------------

    def ssl_context(self) -> ssl.SSLContext:
        """A context that trusts only this server's CA (pass as httpx's `verify`)."""
        return ssl.create_default_context(cafile=str(self.ca_path))

    # The database, directly -----------------------------------------------------------------

    def message_count(self) -> int:
        with self.session_factory() as session:
            return session.scalar(select(func.count()).select_from(Message)) or 0

    def add_user(
        self,
        username: str,
        password: str,
        *,
        display_name: str | None = None,
        unit_name: str = "Test unit",
        hospital_code: str = "0301",
        hospital_name: str = "Oslo universitetssykehus Aker",
        department: str = "other",
    ) -> int:
        """A user in the unit (made if missing) with that name and hospital; returns unit id.

        `hospital_code` and `department` are codes of the hospitals and departments code lists,
        so a form prefilled from the unit validates."""
        with self.session_factory() as session:
            unit, _ = get_or_create_unit(
                session,
                name=unit_name,
                hospital_code=hospital_code,
                hospital_name=hospital_name,
                department=department,
            )
            create_user(
                session,
                username=username,
                password=password,
                display_name=display_name or username,
                unit=unit,
            )
            session.commit()
            return unit.id

    def unit_id_of(self, username: str) -> int:
        with self.session_factory() as session:
            unit_id = session.scalar(select(User.unit_id).where(User.username == username))
        if unit_id is None:
            raise KeyError(username)
        return unit_id

    def add_reminder(
        self,
        username: str,
        *,
        registry: str,
        form: str,
        patient_id: str,
        patient_name: str = "Fiktiv, Testpasient",
        reason: str = "A message is missing (test reminder).",
        due_date: datetime.date | None = None,
    ) -> str:
        """An open reminder for the unit of `username`; returns its id."""
        reminder_id = str(uuid.uuid4())
        with self.session_factory() as session:
            session.add(
                Reminder(
                    id=reminder_id,
                    unit_id=self.unit_id_of(username),
                    registry_code=registry,
                    form=form,
                    patient_id=patient_id,
                    patient_name=patient_name,
                    reason=reason,
                    due_date=due_date or datetime.date.today() + datetime.timedelta(days=14),
                    created_at=utcnow(),
                )
            )
            session.commit()
        return reminder_id

    def expire_tokens(self, username: str | None = None) -> int:
        """Make issued tokens (all, or one user's) expired, as if time had passed."""
        past = utcnow() - datetime.timedelta(seconds=1)
        statement = update(Token).values(expires_at=past)
        if username is not None:
            statement = statement.where(
                Token.user_id.in_(select(User.id).where(User.username == username))
            )
        with self.session_factory() as session:
            count = session.execute(statement).rowcount
            session.commit()
        return count

    # ----------------------------------------------------------------------------------------

    def _trustme_files(self) -> tuple[Path, Path, Path]:
        folder = self.data_dir / "trustme"
        folder.mkdir(exist_ok=True)
        ca = trustme.CA()
        cert = ca.issue_cert(HOST, "localhost")
        paths = (folder / "ca.pem", folder / "server-chain.pem", folder / "server-key.pem")
        ca.cert_pem.write_to_path(str(paths[0]))
        for i, blob in enumerate(cert.cert_chain_pems):
            blob.write_to_path(str(paths[1]), append=i > 0)
        cert.private_key_pem.write_to_path(str(paths[2]))
        return paths
