"""The cache's tables, as SQLAlchemy Core metadata (the Alembic migrations create them)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC text (sorts correctly in SQLite), read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # naive values are taken to be UTC already
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


metadata = MetaData()

# Blob columns (*_blob) hold codec output; everything else is plain so it can be queried.
messages = Table(
    "messages",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("registry", String(50), nullable=False),
    Column("form", String(100), nullable=False),
    Column("form_version", Integer, nullable=False),
    Column("state", String(20), nullable=False),
    Column("values_blob", LargeBinary, nullable=False),
    Column("body_blob", LargeBinary, nullable=True),
    Column("idempotency_key", String(36), nullable=True, unique=True),
    Column("server_issues_blob", LargeBinary, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("queued_at", UtcDateTime, nullable=True),
    Column("receipt_id", String(100), nullable=True),
    # What moving a draft to a newer form version changed (removed answers included), kept
    # until the user confirms having checked it: the only copy of an answer a migration dropped.
    Column("migration_changes_blob", LargeBinary, nullable=True),
    # When the sync engine last had an answer (or a failure) for this message (migration 0003).
    Column("last_attempt_at", UtcDateTime, nullable=True),
    # The reminder a draft was made from; sent in the body so the registry resolves it.
    Column("reminder_id", String(100), nullable=True),
    # A keyed hash of the patient's number (local_cache.crypto.EncryptingCodec.patient_key):
    # the duplicate warning finds a patient's reports without decrypting every row (0005).
    Column("patient_key", String(64), nullable=True),
    Index("ix_messages_owner_state", "owner", "state"),
    Index("ix_messages_patient", "owner", "registry", "form", "patient_key"),
    Index("ix_messages_state", "state"),
)

receipts = Table(
    "receipts",
    metadata,
    Column("receipt_id", String(100), primary_key=True),
    # No foreign key: a receipt fetched from the server (origin "server") may be for a message
    # sent from another computer of the unit.
    Column("message_id", String(36), nullable=False, unique=True),
    Column("owner", String(200), nullable=False),
    Column("registry", String(50), nullable=False),
    Column("form", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("body_sha256", String(64), nullable=False),
    Column("unit_id", String(100), nullable=False),
    # The whole receipt as received (e.g. with a signature this version does not know).
    Column("receipt_json", Text, nullable=False),
    Column("stored_at", UtcDateTime, nullable=False),
    # desktop_app.receipt_signature.Verdict of the signature when the receipt was stored.
    Column("verdict", String(20), nullable=True),
    # "this_pc": stored with our own message's state; "server": fetched by cursor.
    Column("origin", String(10), nullable=False, server_default="this_pc"),
    Index("ix_receipts_owner", "owner"),
    Index("ix_receipts_unit", "unit_id"),
)

# Public keys receipts are signed with, as fetched from the server (over verified TLS);
# the keys the program ships are in resources/receipt_keys.json.
receipt_keys = Table(
    "receipt_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("public_key", String(100), nullable=False),
    # Pinned to the server that published it: trusted for that server's receipts only.
    Column("server_url", String(500), primary_key=True),
    Column("fetched_at", UtcDateTime, nullable=False),
)

# Where GET /receipts?since= left off, per user and server.
receipt_cursors = Table(
    "receipt_cursors",
    metadata,
    Column("owner", String(200), primary_key=True),
    Column("server_url", String(500), primary_key=True),
    Column("cursor", String(100), nullable=False),
    Column("fetched_at", UtcDateTime, nullable=False),
)

reminders = Table(
    "reminders",
    metadata,
    Column("row_id", Integer, primary_key=True, autoincrement=True),
    Column("owner", String(200), nullable=False),
    Column("reminder_id", String(100), nullable=False),
    Column("registry", String(50), nullable=True),
    Column("form", String(100), nullable=True),
    Column("due_date", String(10), nullable=True),
    # The whole reminder (patient id and name included), through the codec.
    Column("payload_blob", LargeBinary, nullable=False),
    Index("ix_reminders_owner", "owner"),
)

reminder_fetches = Table(
    "reminder_fetches",
    metadata,
    Column("owner", String(200), primary_key=True),
    Column("fetched_at", UtcDateTime, nullable=False),
)

# A unit's answer to a reminder ("not ours", "patient moved" and why), kept until the server
# has it: the sync engine sends unsent answers; the reason may name a patient (codec).
reminder_answers = Table(
    "reminder_answers",
    metadata,
    # Each user of the computer answers for themselves: one user's answer never replaces
    # (or re-sends) another's.
    Column("owner", String(200), primary_key=True),
    Column("reminder_id", String(100), primary_key=True),
    Column("answer", String(30), nullable=False),
    Column("reason_blob", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    Index("ix_reminder_answers_owner", "owner"),
)

# The last GET /statistics answer per user, shown offline. Aggregates only (cells under five
# cases suppressed by the server): no patient data, so plain JSON.
statistics_cache = Table(
    "statistics_cache",
    metadata,
    Column("owner", String(200), primary_key=True),
    Column("fetched_at", UtcDateTime, nullable=False),
    Column("as_of", String(10), nullable=True),
    Column("payload_json", Text, nullable=False),
)

local_users = Table(
    "local_users",
    metadata,
    Column("server_url", String(500), primary_key=True),
    Column("username", String(200), primary_key=True),
    Column("salt", LargeBinary, nullable=False),
    Column("verifier", LargeBinary, nullable=False),
    # Cost parameters stored per row so they can be raised later without locking anyone out.
    Column("scrypt_n", Integer, nullable=False),
    Column("scrypt_r", Integer, nullable=False),
    Column("scrypt_p", Integer, nullable=False),
    Column("profile_json", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Each clinician's keys on this computer (local_cache.user_keys): the data and outbox keys,
# wrapped by a key derived from the password (Argon2id, costs per row), and the outbox key
# wrapped again by the escrow key the registry server holds for the user (0005).
user_keys = Table(
    "user_keys",
    metadata,
    Column("server_url", String(500), primary_key=True),
    Column("username", String(200), primary_key=True),
    Column("kdf_salt", LargeBinary, nullable=False),
    Column("kdf_time_cost", Integer, nullable=False),
    Column("kdf_memory_kib", Integer, nullable=False),
    Column("kdf_parallelism", Integer, nullable=False),
    Column("wrapped_keys", LargeBinary, nullable=False),
    Column("escrow_wrapped_outbox_key", LargeBinary, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
