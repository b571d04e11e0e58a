"""What the registry's half brings to the client: signed receipts (also those of the unit's
messages sent from other computers), reminder answers, reminder ids on drafts, cached
statistics.

* receipts: rebuilt without the foreign key to messages (a receipt fetched by cursor may be
  for a message this computer never had), with `verdict` (what checking its signature
  found) and `origin` ("this_pc": stored with our own message; "server": fetched).
* messages.reminder_id: a draft made from a reminder carries its id into the body.
* receipt_keys (per key and the server that published it), receipt_cursors,
  reminder_answers (per user and reminder), statistics_cache: new.

Revision ID: 0004_registry_side
Revises: 0003_last_attempt_at
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_registry_side"
down_revision = "0003_last_attempt_at"
branch_labels = None
depends_on = None

_RECEIPT_COLUMNS = (
    "receipt_id, message_id, owner, registry, form, version, received_at, body_sha256, "
    "unit_id, receipt_json, stored_at"
)


def _receipts_table(name: str, *, registry_side: bool) -> None:
    columns = [
        sa.Column("receipt_id", sa.String(100), primary_key=True),
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("registry", sa.String(50), nullable=False),
        sa.Column("form", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.String(100), nullable=False),
        sa.Column("receipt_json", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=False),
    ]
    if registry_side:
        columns += [
            sa.Column("verdict", sa.String(20), nullable=True),
            sa.Column("origin", sa.String(10), nullable=False, server_default="this_pc"),
        ]
    else:
        columns[1] = sa.Column(
            "message_id", sa.String(36), sa.ForeignKey("messages.id"), nullable=False
        )
    op.create_table(name, *columns, sa.UniqueConstraint("message_id"))


def upgrade() -> None:
    # SQLite cannot drop a foreign key in place: copy into a new table and swap.
    _receipts_table("receipts_new", registry_side=True)
    op.execute(
        f"INSERT INTO receipts_new ({_RECEIPT_COLUMNS}) SELECT {_RECEIPT_COLUMNS} FROM receipts"
    )
    op.drop_index("ix_receipts_owner", "receipts")
    op.drop_table("receipts")
    op.rename_table("receipts_new", "receipts")
    op.create_index("ix_receipts_owner", "receipts", ["owner"])
    op.create_index("ix_receipts_unit", "receipts", ["unit_id"])

    op.add_column("messages", sa.Column("reminder_id", sa.String(100), nullable=True))

    op.create_table(
        "receipt_keys",
        sa.Column("key_id", sa.String(32), primary_key=True),
        sa.Column("public_key", sa.String(100), nullable=False),
        sa.Column("server_url", sa.String(500), primary_key=True),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "receipt_cursors",
        sa.Column("owner", sa.String(200), primary_key=True),
        sa.Column("server_url", sa.String(500), primary_key=True),
        sa.Column("cursor", sa.String(100), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "reminder_answers",
        sa.Column("owner", sa.String(200), primary_key=True),
        sa.Column("reminder_id", sa.String(100), primary_key=True),
        sa.Column("answer", sa.String(30), nullable=False),
        sa.Column("reason_blob", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index("ix_reminder_answers_owner", "reminder_answers", ["owner"])
    op.create_table(
        "statistics_cache",
        sa.Column("owner", sa.String(200), primary_key=True),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.Column("as_of", sa.String(10), nullable=True),
        sa.Column("payload_json", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("statistics_cache")
    op.drop_index("ix_reminder_answers_owner", "reminder_answers")
    op.drop_table("reminder_answers")
    op.drop_table("receipt_cursors")
    op.drop_table("receipt_keys")
    op.drop_column("messages", "reminder_id")
    # Receipts of messages this computer never had cannot keep a foreign key: they go.
    _receipts_table("receipts_old", registry_side=False)
    op.execute(
        f"INSERT INTO receipts_old ({_RECEIPT_COLUMNS}) SELECT {_RECEIPT_COLUMNS} FROM receipts "
        "WHERE message_id IN (SELECT id FROM messages)"
    )
    op.drop_index("ix_receipts_unit", "receipts")
    op.drop_index("ix_receipts_owner", "receipts")
    op.drop_table("receipts")
    op.rename_table("receipts_old", "receipts")
    op.create_index("ix_receipts_owner", "receipts", ["owner"])
