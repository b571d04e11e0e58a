"""Initial client cache: messages (drafts and outbox), receipts, reminders, local users.

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01
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
        "messages",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("registry", sa.String(50), nullable=False),
        sa.Column("form", sa.String(100), nullable=False),
        sa.Column("form_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("values_blob", sa.LargeBinary(), nullable=False),
        sa.Column("body_blob", sa.LargeBinary(), nullable=True),
        sa.Column("idempotency_key", sa.String(36), nullable=True),
        sa.Column("server_issues_blob", sa.LargeBinary(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=True),
        sa.Column("receipt_id", sa.String(100), nullable=True),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index("ix_messages_owner_state", "messages", ["owner", "state"])
    op.create_index("ix_messages_state", "messages", ["state"])

    op.create_table(
        "receipts",
        sa.Column("receipt_id", sa.String(100), primary_key=True),
        sa.Column("message_id", sa.String(36), sa.ForeignKey("messages.id"), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("registry", sa.String(50), nullable=False),
        sa.Column("form", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.String(100), nullable=False),
        sa.Column("receipt_json", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index("ix_receipts_owner", "receipts", ["owner"])

    op.create_table(
        "reminders",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("reminder_id", sa.String(100), nullable=False),
        sa.Column("registry", sa.String(50), nullable=True),
        sa.Column("form", sa.String(100), nullable=True),
        sa.Column("due_date", sa.String(10), nullable=True),
        sa.Column("payload_blob", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_reminders_owner", "reminders", ["owner"])

    op.create_table(
        "reminder_fetches",
        sa.Column("owner", sa.String(200), primary_key=True),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
    )

    op.create_table(
        "local_users",
        sa.Column("server_url", sa.String(500), primary_key=True),
        sa.Column("username", sa.String(200), primary_key=True),
        sa.Column("salt", sa.LargeBinary(), nullable=False),
        sa.Column("verifier", sa.LargeBinary(), nullable=False),
        sa.Column("scrypt_n", sa.Integer(), nullable=False),
        sa.Column("scrypt_r", sa.Integer(), nullable=False),
        sa.Column("scrypt_p", sa.Integer(), nullable=False),
        sa.Column("profile_json", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("local_users")
    op.drop_table("reminder_fetches")
    op.drop_index("ix_reminders_owner", "reminders")
    op.drop_table("reminders")
    op.drop_index("ix_receipts_owner", "receipts")
    op.drop_table("receipts")
    op.drop_index("ix_messages_state", "messages")
    op.drop_index("ix_messages_owner_state", "messages")
    op.drop_table("messages")
