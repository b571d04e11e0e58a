"""Opening the cache: one SQLite file, migrated to the newest schema, with its repositories."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError

from local_cache.codec import JsonPayloadCodec, PayloadCodec
from local_cache.database import make_engine
from local_cache.errors import CacheError
from local_cache.messages import MessageRepository
from local_cache.migrate import upgrade_to_head
from local_cache.receipt_keys import ReceiptKeyRepository
from local_cache.receipts import ReceiptRepository
from local_cache.reminder_answers import ReminderAnswerRepository
from local_cache.reminders import ReminderRepository
from local_cache.statistics import StatisticsRepository
from local_cache.user_keys import KdfCost, UserKeyRepository
from local_cache.users import LocalUserRepository


class Cache:
    """The repositories over one cache file; safe to share between threads."""

    def __init__(
        self, engine: Engine, codec: PayloadCodec, kdf_cost: KdfCost | None = None
    ) -> None:
        self._engine = engine
        self.path = Path(engine.url.database or "")
        self.messages = MessageRepository(engine, codec)
        self.receipts = ReceiptRepository(engine, codec)
        self.reminders = ReminderRepository(engine, codec)
        self.reminder_answers = ReminderAnswerRepository(engine, codec)
        self.receipt_keys = ReceiptKeyRepository(engine)
        self.statistics = StatisticsRepository(engine)
        self.user_keys = UserKeyRepository(engine, kdf_cost)
        self.users = LocalUserRepository(engine, self.user_keys)

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        """Close every pooled connection (the last close checkpoints the WAL into the file)."""
        self._engine.dispose()


def open_cache(
    path: str | os.PathLike[str],
    codec: PayloadCodec | None = None,
    *,
    kdf_cost: KdfCost | None = None,
) -> Cache:
    """Open (creating and migrating as needed) the cache file at `path`."""
    path = Path(path)
    try:
        # The cache holds patient data on a shared PC: only this user may open the folder.
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        raise CacheError(
            f"The data folder {path.parent} cannot be created ({error.strerror}). "
            "Choose a folder you may write to, or ask IT support."
        ) from error
    _private_file(path)
    engine = make_engine(path)
    try:
        upgrade_to_head(engine)
    except DatabaseError as error:
        engine.dispose()
        raise CacheError(
            f"The local data file {path} cannot be opened ({error.orig}). "
            "Check that the disk is not full and the folder is writable, or ask IT support."
        ) from error
    except BaseException:
        engine.dispose()
        raise
    return Cache(engine, codec or JsonPayloadCodec(), kdf_cost)


def _private_file(path: Path) -> None:
    """Create the cache file readable by this user only (SQLite gives its -wal and -shm files
    the same mode), and narrow an existing one."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        # Also a folder and files an earlier version made with the default modes.
        os.chmod(path.parent, 0o700)
        for name in (path.name, path.name + "-wal", path.name + "-shm"):
            if path.with_name(name).exists():
                os.chmod(path.with_name(name), 0o600)
    except OSError as error:
        raise CacheError(
            f"The local data file {path} cannot be created ({error.strerror}). "
            "Choose a folder you may write to, or ask IT support."
        ) from error
