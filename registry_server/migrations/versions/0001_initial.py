"""Initial schema: units, users, tokens, messages, receipts, reminders.

Revision ID: 0001_initial
Revises:
Create Date: 2025-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("hospital_code", sa.String(10), nullable=False),
        sa.Column("hospital_name", sa.String(200), nullable=False),
        sa.Column("department", sa.String(200), nullable=False),
        sa.UniqueConstraint("hospital_code", "name", name="uq_units_hospital_name"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id"), nullable=False),
    )
    op.create_index("ix_users_unit_id", "users", ["unit_id"])
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_tokens_user_id", "tokens", ["user_id"])
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_id", sa.String(36), nullable=False, unique=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id"), nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("registry", sa.String(50), nullable=False),
        sa.Column("form", sa.String(50), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(36), nullable=False, unique=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_messages_unit_id", "messages", ["unit_id"])
    op.create_table(
        "receipts",
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("receipt_id", sa.String(36), nullable=False, unique=True),
        sa.Column(
            "message_id",
            sa.String(36),
            sa.ForeignKey("messages.message_id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("registry", sa.String(50), nullable=False),
        sa.Column("form", sa.String(50), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id"), nullable=False),
    )
    op.create_index("ix_receipts_unit_seq", "receipts", ["unit_id", "seq"])
    op.create_table(
        "reminders",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id"), nullable=False),
        sa.Column("registry", sa.String(50), nullable=False),
        sa.Column("form", sa.String(50), nullable=False),
        sa.Column("patient_id", sa.String(11), nullable=False),
        sa.Column("patient_name", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_reminders_open", "reminders", ["unit_id", "resolved_at"])
    op.create_index(
        "ix_reminders_match", "reminders", ["unit_id", "registry", "form", "patient_id"]
    )


def downgrade() -> None:
    op.drop_table("reminders")
    op.drop_table("receipts")
    op.drop_table("messages")
    op.drop_table("tokens")
    op.drop_table("users")
    op.drop_table("units")
