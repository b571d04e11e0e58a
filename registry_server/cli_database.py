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
    """The server's database, at the schema this program needs; DatabaseNotReady if not."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).is_file()):
        raise DatabaseNotReady(
            f"There is no server database at {url.database}; give the server's --data-dir or "
            "--database-url."
        )
    engine = make_engine(settings.database_url)
    try:
        check_schema(engine)
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
