"""Which received messages may be transferred to NOPHO-Care (for the registry's IT staff).

`registry-server transfers --list` prints their message ids, one a line, oldest first; it
reads the database and changes nothing. A message is listed only when its form's transfer
condition held when it was received (see `Message.nopho_care_transfer`), so a message with a
NOPHO-Care reservation, answered "yes" or "unknown", is never listed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_server.cli_database import (
    DatabaseNotReady,
    add_database_arguments,
    open_database,
    settings_from,
)
from registry_server.db import make_session_factory
from registry_server.models import Message


def nopho_care_transfers(session: Session) -> list[Message]:
    """Messages eligible for NOPHO-Care transfer, oldest first."""
    return list(
        session.scalars(
            select(Message)
            .where(Message.nopho_care_transfer.is_(True))
            .order_by(Message.received_at, Message.id)
        )
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
    add_database_arguments(parser)
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        engine = open_database(settings_from(args))
    except DatabaseNotReady as exc:
        print(exc, file=sys.stderr)
        return 1
    try:
        with make_session_factory(engine)() as session:
            messages = nopho_care_transfers(session)
    finally:
        engine.dispose()
    for message in messages:
        print(message.message_id)
    # On stderr: stdout stays a plain list of ids for scripts.
    print(f"{len(messages)} message(s) eligible for NOPHO-Care transfer.", file=sys.stderr)
    return 0
