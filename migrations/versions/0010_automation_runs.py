"""Ansible automation runs and their events.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aiops.adapters.sqlalchemy.tables import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "automation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("playbook", sa.String(64), nullable=False),
        sa.Column("inventory", sa.String(64), nullable=False),
        sa.Column("host_limit", sa.String(512), nullable=True),
        sa.Column("tags", sa.String(512), nullable=True),
        sa.Column("check_mode", sa.Boolean(), nullable=False),
        sa.Column("extra_vars", sa.JSON(), nullable=False),
        sa.Column("identity", sa.String(63), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rc", sa.Integer(), nullable=True),
        sa.Column("started_by", sa.String(255), nullable=False),
        sa.Column("queued_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("runner", sa.String(255), nullable=True),
        sa.Column("runner_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'successful', 'failed', 'cancelled', 'timeout')",
            name="ck_automation_runs_status",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_automation_runs"),
    )
    op.create_index("ix_automation_runs_status", "automation_runs", ["status"])
    op.create_table(
        "run_events",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("task", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=True),
        sa.Column("stdout", sa.Text(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["automation_runs.id"],
            name="fk_run_events_run_id_automation_runs",
            ondelete="CASCADE",
        ),
        # unique (run_id, seq), and the index that reads a run's events after a seq
        sa.PrimaryKeyConstraint("run_id", "seq", name="pk_run_events"),
    )


def downgrade() -> None:
    op.drop_table("run_events")
    op.drop_index("ix_automation_runs_status", table_name="automation_runs")
    op.drop_table("automation_runs")
