"""Brings a cache file to the newest schema with Alembic, configured in code.

No alembic.ini: the script folder is found next to this module, which works from a source tree,
an installed package and the PyInstaller bundle (build.spec ships the folder as data files).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine

from local_cache.database import write_transaction
from local_cache.errors import CacheVersionError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """The Alembic configuration; env.py runs the migrations on `connection`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "local_cache has no migrations"
    return head


def upgrade_to_head(engine: Engine) -> None:
    # IMMEDIATE: two program instances starting at once migrate one after the other.
    with write_transaction(engine) as connection:
        config = alembic_config(connection)
        _refuse_unknown_revision(connection, ScriptDirectory.from_config(config))
        command.upgrade(config, "head")


def _refuse_unknown_revision(connection: Connection, scripts: ScriptDirectory) -> None:
    current = MigrationContext.configure(connection).get_current_revision()
    if current is None:
        return
    try:
        scripts.get_revision(current)
    except CommandError:
        raise CacheVersionError(
            "The local data file was written by a newer version of this program. "
            "Install the newer version again, or ask IT support for help."
        ) from None
