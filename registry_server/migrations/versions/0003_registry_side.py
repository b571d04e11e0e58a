"""The registry's half: expected cases, computed reminders, unit statistics, signed receipts.

* units.registries: which registries a unit reports to (routes expected cases).
* messages.patient_id / reminder_id: copied from the body, so reminders and statistics match
  messages by an indexed query; existing messages are filled in from their bodies here.
* receipts.key_id / signature and the receipt_keys table: Ed25519-signed receipts. Receipts
  stored before this revision are signed at the next start (signing.sign_unsigned_receipts).
* expected_cases, job_runs, statistics_cells: new.
* reminders: patients without a Norwegian number (case_id, patient_id nullable), the rule
  and trigger that made a reminder, its reason as a key with parameters, how it ended.

Revision ID: 0003_registry_side
Revises: 0002_transfer_flags
Create Date: 2026-12-06
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0003_registry_side"
down_revision = "0002_transfer_flags"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("registries", sa.Text(), nullable=False, server_default="[]"))

    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("patient_id", sa.String(11), nullable=True))
        batch.add_column(sa.Column("reminder_id", sa.String(36), nullable=True))
        batch.create_index("ix_messages_patient", ["registry", "patient_id"])
        batch.create_index("ix_messages_unit_received", ["unit_id", "received_at"])
        batch.create_index("ix_messages_reminder_id", ["reminder_id"])
    _fill_patient_ids()

    with op.batch_alter_table("receipts") as batch:
        batch.add_column(sa.Column("key_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("signature", sa.String(100), nullable=True))

    op.create_table(
        "receipt_keys",
        sa.Column("key_id", sa.String(32), primary_key=True),
        sa.Column("algorithm", sa.String(20), nullable=False),
        sa.Column("public_key", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
    )

    op.create_table(
        "expected_cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dedup_key", sa.String(64), nullable=False, unique=True),
        sa.Column("registry", sa.String(50), nullable=False),
        sa.Column("event", sa.String(50), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("patient_id", sa.String(11), nullable=True),
        sa.Column("case_id", sa.String(40), nullable=True),
        sa.Column("patient_name", sa.String(200), nullable=True),
        sa.Column("hospital_code", sa.String(10), nullable=False),
        sa.Column("department", sa.String(50), nullable=True),
        sa.Column("source", sa.String(50), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id"), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("import_id", sa.String(36), nullable=False),
    )
    op.create_index("ix_expected_cases_registry_date", "expected_cases", ["registry", "event_date"])
    op.create_index("ix_expected_cases_patient_id", "expected_cases", ["patient_id"])
    op.create_index("ix_expected_cases_unit_id", "expected_cases", ["unit_id"])

    with op.batch_alter_table("reminders") as batch:
        batch.alter_column("patient_id", existing_type=sa.String(11), nullable=True)
        batch.add_column(sa.Column("case_id", sa.String(40), nullable=True))
        batch.add_column(sa.Column("reason_key", sa.String(100), nullable=True))
        batch.add_column(sa.Column("reason_params", sa.Text(), nullable=True))
        batch.add_column(sa.Column("rule_id", sa.String(100), nullable=True))
        batch.add_column(sa.Column("dedup_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("expected_case_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("trigger_message_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("event_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("resolved_by_message_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("answer", sa.String(30), nullable=True))
        batch.add_column(sa.Column("answer_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("answered_by", sa.String(100), nullable=True))
        batch.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_unique_constraint("uq_reminders_dedup_key", ["dedup_key"])
        batch.create_foreign_key(
            "fk_reminders_expected_case", "expected_cases", ["expected_case_id"], ["id"]
        )

    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("job", sa.String(30), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
    )
    op.create_index("ix_job_runs_job_finished", "job_runs", ["job", "finished_at"])

    op.create_table(
        "statistics_cells",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "run_id",
            sa.Integer(),
            sa.ForeignKey("job_runs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("registry", sa.String(50), nullable=False),
        sa.Column("indicator", sa.String(100), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("level_key", sa.String(20), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("denominator", sa.Integer(), nullable=False),
        sa.Column("numerator", sa.Integer(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
    )
    op.create_index(
        "ix_statistics_cells_lookup",
        "statistics_cells",
        ["run_id", "registry", "level", "level_key"],
    )


def _fill_patient_ids() -> None:
    """Messages stored before this revision: patient_id from the stored body."""
    connection = op.get_bind()
    messages = sa.table(
        "messages",
        sa.column("id", sa.Integer()),
        sa.column("body", sa.Text()),
        sa.column("patient_id", sa.String(11)),
    )
    updates = []
    for row_id, body in connection.execute(sa.select(messages.c.id, messages.c.body)):
        try:
            patient_id = json.loads(body).get("values", {}).get("patient_id")
        except (ValueError, AttributeError):
            continue
        if isinstance(patient_id, str) and len(patient_id) == 11:
            updates.append({"b_id": row_id, "b_patient": patient_id})
    if updates:
        connection.execute(
            messages.update()
            .where(messages.c.id == sa.bindparam("b_id"))
            .values(patient_id=sa.bindparam("b_patient")),
            updates,
        )


def downgrade() -> None:
    op.drop_index("ix_statistics_cells_lookup", table_name="statistics_cells")
    op.drop_table("statistics_cells")
    op.drop_index("ix_job_runs_job_finished", table_name="job_runs")
    op.drop_table("job_runs")
    op.execute("DELETE FROM reminders WHERE patient_id IS NULL")
    with op.batch_alter_table("reminders") as batch:
        batch.drop_constraint("fk_reminders_expected_case", type_="foreignkey")
        batch.drop_constraint("uq_reminders_dedup_key", type_="unique")
        for column in (
            "answered_at",
            "answered_by",
            "answer_reason",
            "answer",
            "resolved_by_message_id",
            "event_date",
            "trigger_message_id",
            "expected_case_id",
            "dedup_key",
            "rule_id",
            "reason_params",
            "reason_key",
            "case_id",
        ):
            batch.drop_column(column)
        batch.alter_column("patient_id", existing_type=sa.String(11), nullable=False)
    op.drop_index("ix_expected_cases_unit_id", table_name="expected_cases")
    op.drop_index("ix_expected_cases_patient_id", table_name="expected_cases")
    op.drop_index("ix_expected_cases_registry_date", table_name="expected_cases")
    op.drop_table("expected_cases")
    op.drop_table("receipt_keys")
    with op.batch_alter_table("receipts") as batch:
        batch.drop_column("signature")
        batch.drop_column("key_id")
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_reminder_id")
        batch.drop_index("ix_messages_unit_received")
        batch.drop_index("ix_messages_patient")
        batch.drop_column("reminder_id")
        batch.drop_column("patient_id")
    with op.batch_alter_table("units") as batch:
        batch.drop_column("registries")
