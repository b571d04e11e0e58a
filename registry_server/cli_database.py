"""The database of an existing server, for the command-line tools (`transfers`, `jobs`,
`import-expected`): the same --data-dir / --database-url arguments, and one clear refusal when
there is no database or it is older than this program."""

from __future__ import annotations

import argparse
import datetime
import os
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from registry_server.db import alembic_config, describe_url, make_engine
from registry_server.settings import ServerSettings, default_data_dir


class DatabaseNotReady(Exception):
    """The database is missing or older than this program; `str()` says what to do."""


def add_database_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=f"the server's data folder (default {default_data_dir()})",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("REGISTRY_SERVER_DATABASE_URL", ""),
        help="the server's SQLAlchemy URL (default: SQLite in the data folder; also read "
        "from REGISTRY_SERVER_DATABASE_URL)",
    )


def iso_date(text: str) -> datetime.date:
    """An argparse type: a YYYY-MM-DD date, or a sentence saying how to write one."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-06."
        ) from None


def settings_from(args: argparse.Namespace) -> ServerSettings:
    return ServerSettings(
        data_dir=args.data_dir or default_data_dir(), database_url=args.database_url
    )


def open_database(settings: ServerSettings) -> Engine:
    """The server's database, at the schema this program needs; DatabaseNotReady (one
    sentence, no traceback) if not: a URL that is not one, a database kind or driver this
    program lacks, a server that cannot be reached, no database, an older schema."""
    try:
        url = make_url(settings.database_url)
    except ArgumentError:
        # Not echoed: it may hold a password, and it cannot be parsed to hide one.
        raise DatabaseNotReady(
            "The --database-url cannot be read as a database URL; write it as e.g. "
            "postgresql+psycopg://user@host/dbname or sqlite:////path/to/registry.sqlite3."
        ) from None
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).is_file()):
        raise DatabaseNotReady(
            f"There is no server database at {url.database or '(no file named)'}; give the "
            "server's --data-dir or --database-url."
        )
    try:
        engine = make_engine(settings.database_url)
    except (NoSuchModuleError, ImportError) as exc:
        raise DatabaseNotReady(
            f"The database URL {shown} names a database or driver this program cannot use "
            f"({exc}); use e.g. postgresql+psycopg://user@host/dbname or "
            "sqlite:////path/to/registry.sqlite3."
        ) from None
    try:
        check_schema(engine)
    except DBAPIError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise DatabaseNotReady(
            f"The database {shown} cannot be reached ({reason}); check the URL and that the "
            "database server is running."
        ) from None
    except BaseException:
        engine.dispose()
        raise
    return engine


def check_schema(engine: Engine) -> None:
    """Refuse to use a database this program would have to migrate first."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current != head:
        raise DatabaseNotReady(
            f"The database {describe_url(str(engine.url))} is at schema revision {current} but "
            f"this program needs {head}; start the server once (it upgrades the database), "
            "then run this command again."
        )
