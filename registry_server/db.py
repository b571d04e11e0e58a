"""Engine, sessions and schema migration (Alembic, run programmatically at start-up)."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from registry_server.private_files import private_file, private_folder

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
# Any constant shared by all server processes: on PostgreSQL, serialises what processes
# starting at the same time write (the schema upgrade, the demo data).
_STARTUP_LOCK_ID = 0x52454749
_SIDECARS = ("-wal", "-shm", "-journal")


def make_engine(database_url: str) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            database = Path(url.database)
            if not database.parent.exists():
                private_folder(database.parent)
            # SQLite gives its -wal and -shm files the database file's mode.
            for path in (database, *(database.with_name(database.name + s) for s in _SIDECARS)):
                if path == database or path.exists():
                    private_file(path)
        engine = create_engine(
            url, hide_parameters=True, connect_args={"check_same_thread": False, "timeout": 30}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # hide_parameters: SQL errors in the log must not carry message bodies or identity numbers.
    return create_engine(url, hide_parameters=True, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config() -> Config:
    # Config in code, not alembic.ini, so it works from an installed wheel as well.
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade_database(engine: Engine) -> None:
    """Bring the schema to the newest revision (`alembic upgrade head`)."""
    config = alembic_config()
    with engine.begin() as connection:
        take_startup_lock(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    log.info("Database schema is up to date.")


def take_startup_lock(connection: Connection | Session) -> None:
    """On PostgreSQL, wait until no other process holds the start-up lock, and hold it until
    this transaction ends. Without it, two processes starting on one database both find the
    schema (or the demo data) missing and both try to make it; one then fails."""
    bind = connection.get_bind() if isinstance(connection, Session) else connection
    if bind.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _STARTUP_LOCK_ID})


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def describe_url(database_url: str) -> str:
    """The URL with any password hidden, for logs and console output."""
    return make_url(database_url).render_as_string(hide_password=True)
