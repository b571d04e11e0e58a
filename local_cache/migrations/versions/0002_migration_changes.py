"""Drafts keep what a form-version migration changed until the user has checked it.

Revision ID: 0002_migration_changes
Revises: 0001_initial
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_migration_changes"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column: SQLite adds it in place, existing rows read as "no changes to show".
    op.add_column("messages", sa.Column("migration_changes_blob", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place; a batch copy would drop `messages`, which the
    # receipts' foreign key refuses once a message has a receipt.
    op.drop_column("messages", "migration_changes_blob")
