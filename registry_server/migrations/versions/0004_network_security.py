"""A server safe to put on a network: refresh tokens and sign-out, sign-in throttling, the
audit log, and each user's escrow key.

* tokens.kind / sign_in / used_at: access and refresh tokens of one sign-in, revoked together.
  Tokens issued before this revision stay valid until they expire (kind "access", no sign-in).
* users.escrow_key: made when first needed (registry_server.tokens.escrow_key_of).
* sign_in_throttle, audit_log: new.

Revision ID: 0004_network_security
Revises: 0003_registry_side
Create Date: 2026-12-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_network_security"
down_revision = "0003_registry_side"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("escrow_key", sa.String(64), nullable=True))

    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("kind", sa.String(10), nullable=False, server_default="access"))
        batch.add_column(sa.Column("sign_in", sa.String(32), nullable=True))
        batch.add_column(sa.Column("used_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_tokens_sign_in", ["sign_in"])

    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
    )

    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("username", sa.String(100), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.String(36), nullable=True),
        sa.Column("body_sha256", sa.String(64), nullable=True),
        sa.Column("client_address", sa.String(64), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_username", "audit_log", ["username"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_username", "audit_log")
    op.drop_index("ix_audit_log_at", "audit_log")
    op.drop_table("audit_log")
    op.drop_table("sign_in_throttle")
    with op.batch_alter_table("tokens") as batch:
        batch.drop_index("ix_tokens_sign_in")
        batch.drop_column("used_at")
        batch.drop_column("sign_in")
        batch.drop_column("kind")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("escrow_key")
