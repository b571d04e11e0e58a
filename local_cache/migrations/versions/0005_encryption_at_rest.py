"""Encryption at rest: each clinician's keys, and patients found by a keyed hash.

* user_keys: the data and outbox keys of each user of this computer, wrapped by a key derived
  from their password (Argon2id), the outbox key also by the registry's escrow key.
* messages.patient_key: a keyed hash of the patient's number, for the duplicate warning.

Payloads written before this version are plain JSON; they are encrypted under the owner's
keys at that owner's next sign-in (local_cache.user_cache.UserCache.encrypt_plain_rows),
since only then is a key at hand.

Revision ID: 0005_encryption_at_rest
Revises: 0004_registry_side
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_encryption_at_rest"
down_revision = "0004_registry_side"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("patient_key", sa.String(64), nullable=True))
    op.create_index("ix_messages_patient", "messages", ["owner", "registry", "form", "patient_key"])
    op.create_table(
        "user_keys",
        sa.Column("server_url", sa.String(500), primary_key=True),
        sa.Column("username", sa.String(200), primary_key=True),
        sa.Column("kdf_salt", sa.LargeBinary(), nullable=False),
        sa.Column("kdf_time_cost", sa.Integer(), nullable=False),
        sa.Column("kdf_memory_kib", sa.Integer(), nullable=False),
        sa.Column("kdf_parallelism", sa.Integer(), nullable=False),
        sa.Column("wrapped_keys", sa.LargeBinary(), nullable=False),
        sa.Column("escrow_wrapped_outbox_key", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("user_keys")
    op.drop_index("ix_messages_patient", "messages")
    op.drop_column("messages", "patient_key")
