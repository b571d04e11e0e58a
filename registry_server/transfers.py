"""Which received messages may be transferred to NOPHO-Care (for the registry's IT staff).

`registry-server transfers --list` prints their message ids, one a line, oldest first; it
reads the database and changes nothing. A message is listed only when its form's transfer
condition held when it was received (see `Message.nopho_care_transfer`), so a message with a
NOPHO-Care reservation, answered "yes" or "unknown", is never listed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, make_url, select
from sqlalchemy.orm import Session

from registry_server.db import alembic_config, describe_url, make_engine, make_session_factory
from registry_server.models import Message
from registry_server.settings import ServerSettings, default_data_dir


class DatabaseNotReady(Exception):
    """The database is missing or older than this program; `str()` says what to do."""


def nopho_care_transfers(session: Session) -> list[Message]:
    """Messages eligible for NOPHO-Care transfer, oldest first."""
    return list(
        session.scalars(
            select(Message)
            .where(Message.nopho_care_transfer.is_(True))
            .order_by(Message.received_at, Message.id)
        )
    )


def check_schema(engine: Engine) -> None:
    """Refuse to read a database this program would have to migrate first."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current != head:
        raise DatabaseNotReady(
            f"The database {describe_url(str(engine.url))} is at schema revision {current} but "
            f"this program needs {head}; start the server once (it upgrades the database), "
            "then run this command again."
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="registry-server transfers",
        description="Messages that may be transferred to NOPHO-Care (read-only).",
    )
    parser.add_argument(
        "--list",
        action="store_true",
        required=True,
        help="print the message id of every message eligible for transfer, one a line",
    )
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
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    settings = ServerSettings(
        data_dir=args.data_dir or default_data_dir(), database_url=args.database_url
    )
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).is_file()):
        print(
            f"There is no server database at {url.database}; give the server's --data-dir or "
            "--database-url.",
            file=sys.stderr,
        )
        return 1
    engine = make_engine(settings.database_url)
    try:
        check_schema(engine)
        with make_session_factory(engine)() as session:
            messages = nopho_care_transfers(session)
    except DatabaseNotReady as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    for message in messages:
        print(message.message_id)
    # On stderr: stdout stays a plain list of ids for scripts.
    print(f"{len(messages)} message(s) eligible for NOPHO-Care transfer.", file=sys.stderr)
    return 0
