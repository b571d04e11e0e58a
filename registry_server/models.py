"""The server's tables (SQLAlchemy 2 declarative); the schema itself is made by Alembic."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, also on SQLite (which keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Naive datetimes are not stored; use UTC.")
        value = value.astimezone(UTC)
        # SQLite compares datetimes as text, so keep one offset-free form there.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    # Whole seconds: a receipt read back from any database equals the one first sent.
    return datetime.now(UTC).replace(microsecond=0)


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a "Z", the one time format of the API."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Base(DeclarativeBase):
    pass


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("hospital_code", "name", name="uq_units_hospital_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    hospital_code: Mapped[str] = mapped_column(String(10))
    hospital_name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(200))
    # JSON list of the registry ids this unit reports to: expected cases of a registry at the
    # unit's hospital are routed to a unit that reports to it (registry_server.expected).
    registries: Mapped[str] = mapped_column(Text, server_default="[]", default="[]")

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "hospital_code": self.hospital_code,
            "hospital_name": self.hospital_name,
            "department": self.department,
        }


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    # base64url of 32 random bytes, made at the first sign-in after it is needed and never
    # changed (not by a password change either): see registry_server.tokens.escrow_key_of.
    escrow_key: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Token(Base):
    """An access or refresh token; one sign-in (`sign_in`) has one of each at a time."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Only the hash: a copy of the database gives no usable bearer tokens.
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(10), server_default="access", default="access")
    # A random id shared by the tokens of one sign-in, so sign-out or a reused refresh token
    # revokes them together. None: a token issued before refresh tokens existed.
    sign_in: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    # When a refresh token was exchanged; a second exchange is a stolen copy (tokens.py).
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SignInThrottle(Base):
    """Sign-in attempts counted per username, per username and client address, and per client
    address (registry_server.throttle). In the database, so every server process on one
    PostgreSQL database sees the same count."""

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # see throttle.py
    # Attempts counted and when the last was (named when only failures counted; a success
    # takes its own count back, throttle.succeeded).
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AuditEntry(Base):
    """Who did what, from where, when (registry_server.audit). Never patient data: a message
    appears by its id and the SHA-256 of its body only."""

    __tablename__ = "audit_log"

    # 64-bit on PostgreSQL: one row per request adds up; SQLite's rowid is 64-bit anyway.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    action: Mapped[str] = mapped_column(String(40))
    username: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    unit_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    body_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    client_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the HTTP answer


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_patient", "registry", "patient_id"),
        Index("ix_messages_unit_received", "unit_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(36), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    username: Mapped[str] = mapped_column(String(100))
    # "registry" itself is reserved by SQLAlchemy's declarative base.
    registry_code: Mapped[str] = mapped_column("registry", String(50))
    form: Mapped[str] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    body_sha256: Mapped[str] = mapped_column(String(64))
    # The UNIQUE constraint is what makes concurrent retries safe; see submissions.py.
    idempotency_key: Mapped[str] = mapped_column(String(36), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # transfer_flags(definition, values)["nopho_care"] when the message was received: True
    # only when the form's transfer condition held (never with a NOPHO-Care reservation).
    # One boolean, not a JSON of flags, so "what may go to NOPHO-Care" is an indexed query.
    nopho_care_transfer: Mapped[bool] = mapped_column(
        Boolean, index=True, server_default=false(), default=False
    )
    # Copied from the body when it is stored: reminders and statistics match messages to
    # patients by an indexed query instead of decoding every body. None: no Norwegian number.
    patient_id: Mapped[str | None] = mapped_column(String(11), nullable=True)
    # The reminder the message answers (a draft made from a reminder carries its id), so a
    # patient without a Norwegian number is matched too.
    reminder_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)

    # Stored in the same transaction as the message, so a stored message always has one.
    receipt: Mapped[Receipt] = relationship(lazy="joined", uselist=False)


class Receipt(Base):
    __tablename__ = "receipts"
    __table_args__ = (Index("ix_receipts_unit_seq", "unit_id", "seq"),)

    # Monotonic per database: the receipts cursor.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_id: Mapped[str] = mapped_column(String(36), unique=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.message_id"), unique=True)
    # "registry" itself is reserved by SQLAlchemy's declarative base.
    registry_code: Mapped[str] = mapped_column("registry", String(50))
    form: Mapped[str] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    body_sha256: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # Ed25519 over desktop_app.receipt_signature.signed_bytes(receipt); stored, so a replay
    # answers with the very same signature. Null only between migration and the first start
    # that signs old receipts (registry_server.signing.sign_unsigned_receipts).
    key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    signature: Mapped[str | None] = mapped_column(String(100), nullable=True)

    def to_dict(self) -> dict:
        return {
            "receipt_id": self.receipt_id,
            "message_id": self.message_id,
            "registry": self.registry_code,
            "form": self.form,
            "version": self.version,
            "received_at": iso_utc(self.received_at),
            "body_sha256": self.body_sha256,
            "unit_id": self.unit_id,
            "key_id": self.key_id,
            "signature": self.signature,
        }


class ReceiptKey(Base):
    """A public key receipts are (or were) signed with; published at GET /receipt-keys so
    that a receipt signed before a key rotation still verifies."""

    __tablename__ = "receipt_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(20))
    public_key: Mapped[str] = mapped_column(String(100))  # base64 of the raw 32 bytes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ExpectedCase(Base):
    """A case the registry learned of outside the clinical messages (a pathology report, a
    procedure code from a hospital's patient administration): `registry-server
    import-expected` loads them; the reminder job turns them into reminders."""

    __tablename__ = "expected_cases"
    __table_args__ = (Index("ix_expected_cases_registry_date", "registry", "event_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # sha256 of (registry, event, event date, patient or case id, hospital): importing the
    # same notification twice stores it once.
    dedup_key: Mapped[str] = mapped_column(String(64), unique=True)
    registry_code: Mapped[str] = mapped_column("registry", String(50))
    event: Mapped[str] = mapped_column(String(50))  # e.g. pathology_diagnosis, surgery_procedure
    event_date: Mapped[date] = mapped_column(Date)
    patient_id: Mapped[str | None] = mapped_column(String(11), nullable=True, index=True)
    # The registry's own case id for a patient without a Norwegian number.
    case_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    patient_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    hospital_code: Mapped[str] = mapped_column(String(10))
    department: Mapped[str | None] = mapped_column(String(50), nullable=True)
    source: Mapped[str] = mapped_column(String(50))  # e.g. pathology, patient_administration
    # The unit the case is routed to; None when no unit at the hospital reports to the registry.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True, index=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    import_id: Mapped[str] = mapped_column(String(36))


class Reminder(Base):
    __tablename__ = "reminders"
    __table_args__ = (
        Index("ix_reminders_open", "unit_id", "resolved_at"),
        Index("ix_reminders_match", "unit_id", "registry", "form", "patient_id"),
        UniqueConstraint("dedup_key", name="uq_reminders_dedup_key"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # "registry" itself is reserved by SQLAlchemy's declarative base.
    registry_code: Mapped[str] = mapped_column("registry", String(50))
    form: Mapped[str] = mapped_column(String(50))
    # None for a patient without a Norwegian number: then case_id names the patient.
    patient_id: Mapped[str | None] = mapped_column(String(11), nullable=True)
    case_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    patient_name: Mapped[str] = mapped_column(String(200))
    # English sentence for older clients and the API docs; clients word reason_key instead.
    reason: Mapped[str] = mapped_column(Text)
    reason_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reason_params: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON object
    due_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Which rule made it and from what (resources/reminder_rules.json); the dedup key is
    # (rule, trigger), so the job running again makes no second reminder.
    rule_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    dedup_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    expected_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("expected_cases.id"), nullable=True
    )
    trigger_message_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    event_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # How it ended: a receipted message that matches it, or the unit's answer.
    resolved_by_message_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    answer: Mapped[str | None] = mapped_column(String(30), nullable=True)  # not_ours, patient_moved
    answer_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    def to_dict(self, today: date | None = None) -> dict:
        return {
            "id": self.id,
            "registry": self.registry_code,
            "form": self.form,
            "patient_id": self.patient_id,
            "case_id": self.case_id,
            "patient_name": self.patient_name,
            "reason": self.reason,
            "reason_key": self.reason_key,
            "reason_params": json.loads(self.reason_params) if self.reason_params else {},
            "rule_id": self.rule_id,
            "event_date": self.event_date.isoformat() if self.event_date else None,
            "due_date": self.due_date.isoformat(),
            "overdue": today is not None and self.due_date < today,
            "created_at": iso_utc(self.created_at),
        }


class JobRun(Base):
    """One run of a scheduled job (reminders, statistics): when, for which day, what it did."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_finished", "job", "finished_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(30))
    as_of: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON object


class StatisticsCell(Base):
    """One aggregate of one statistics run: an indicator for one unit, hospital, region or the
    nation, for one month ("YYYY-MM") or the twelve months up to the run ("12m"). Never
    patient-level; small cells are suppressed when served, not when stored."""

    __tablename__ = "statistics_cells"
    __table_args__ = (
        Index("ix_statistics_cells_lookup", "run_id", "registry", "level", "level_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("job_runs.id", ondelete="CASCADE"))
    registry_code: Mapped[str] = mapped_column("registry", String(50))
    indicator: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))  # unit, hospital, region, nation
    level_key: Mapped[str] = mapped_column(String(20))  # unit id, hospital code, region code, ""
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM or 12m
    denominator: Mapped[int] = mapped_column(Integer)  # the cases the cell counts
    numerator: Mapped[int | None] = mapped_column(Integer, nullable=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
