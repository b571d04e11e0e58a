"""The server's tables (SQLAlchemy 2 declarative); the schema itself is made by Alembic."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
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


class Token(Base):
    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Only the hash: a copy of the database gives no usable bearer tokens.
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Message(Base):
    __tablename__ = "messages"

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
        }


class Reminder(Base):
    __tablename__ = "reminders"
    __table_args__ = (
        Index("ix_reminders_open", "unit_id", "resolved_at"),
        Index("ix_reminders_match", "unit_id", "registry", "form", "patient_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # "registry" itself is reserved by SQLAlchemy's declarative base.
    registry_code: Mapped[str] = mapped_column("registry", String(50))
    form: Mapped[str] = mapped_column(String(50))
    patient_id: Mapped[str] = mapped_column(String(11))
    patient_name: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "registry": self.registry_code,
            "form": self.form,
            "patient_id": self.patient_id,
            "patient_name": self.patient_name,
            "reason": self.reason,
            "due_date": self.due_date.isoformat(),
            "created_at": iso_utc(self.created_at),
        }
