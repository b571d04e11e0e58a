"""The client's local cache: drafts, outbox, receipts, reminders and offline sign-in verifiers.

SQLAlchemy on SQLite (WAL, synchronous=FULL), migrated with Alembic. Knows nothing of Qt or HTTP.
"""

from local_cache.cache import Cache, open_cache
from local_cache.codec import JsonPayloadCodec, PayloadCodec
from local_cache.errors import CacheError, CacheVersionError, InvalidTransition
from local_cache.messages import (
    MessageRecord,
    MessageRepository,
    MessageState,
    Outcome,
    OutgoingMessage,
    Quarantine,
    Receipt,
    RetryLater,
    ReturnToDraft,
)
from local_cache.receipts import ReceiptRecord, ReceiptRepository
from local_cache.reminders import ReminderRepository
from local_cache.users import LocalUserRepository

__all__ = [
    "Cache",
    "CacheError",
    "CacheVersionError",
    "InvalidTransition",
    "JsonPayloadCodec",
    "LocalUserRepository",
    "MessageRecord",
    "MessageRepository",
    "MessageState",
    "Outcome",
    "OutgoingMessage",
    "PayloadCodec",
    "Quarantine",
    "Receipt",
    "ReceiptRecord",
    "ReceiptRepository",
    "ReminderRepository",
    "RetryLater",
    "ReturnToDraft",
    "open_cache",
]
