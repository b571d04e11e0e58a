"""Messages remember whether they may be transferred to NOPHO-Care.

Messages stored before this revision get False: nothing is transferred that was not
checked against its form's transfer condition.

Revision ID: 0002_transfer_flags
Revises: 0001_initial
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_transfer_flags"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(
            sa.Column(
                "nopho_care_transfer", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.create_index("ix_messages_nopho_care_transfer", ["nopho_care_transfer"])


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_nopho_care_transfer")
        batch.drop_column("nopho_care_transfer")
