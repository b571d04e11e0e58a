"""Messages remember when they were last sent (the outbox shows it; backoff is per pass).

Revision ID: 0003_last_attempt_at
Revises: 0002_migration_changes
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_last_attempt_at"
down_revision = "0002_migration_changes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: SQLite adds it in place; messages never sent (or sent before this version)
    # read as "no attempt recorded".
    op.add_column("messages", sa.Column("last_attempt_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # In place (SQLite 3.35+), not a batch copy: receipts' foreign key refers to `messages`.
    op.drop_column("messages", "last_attempt_at")
