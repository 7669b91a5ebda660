"""Tracker connections, synced issues with their local triage, and sync runs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aiops.adapters.sqlalchemy.tables import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracker_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("base_url", sa.String(2048), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("token_sealed", sa.Text(), nullable=False),
        sa.Column("webhook_secret_sealed", sa.Text(), nullable=True),
        sa.Column("cursor", UtcDateTime(), nullable=True),
        sa.Column("etag", sa.String(300), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "provider IN ('github', 'gitlab', 'jira')", name="ck_tracker_connections_provider"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_tracker_connections_project_id_projects",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tracker_connections"),
    )
    op.create_index("ix_tracker_connections_project_id", "tracker_connections", ["project_id"])
    op.create_table(
        "issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("assignees", sa.JSON(), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("triage_status", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(8), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["tracker_connections.id"],
            name="fk_issues_connection_id_tracker_connections",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_issues_project_id_projects",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_issues_owner_id_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_issues"),
        sa.UniqueConstraint(
            "connection_id", "external_id", name="uq_issues_connection_id_external_id"
        ),
    )
    op.create_index("ix_issues_project_id_updated_at", "issues", ["project_id", "updated_at"])
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=False),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["tracker_connections.id"],
            name="fk_sync_runs_connection_id_tracker_connections",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sync_runs"),
    )
    op.create_index(
        "ix_sync_runs_connection_id_started_at", "sync_runs", ["connection_id", "started_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_sync_runs_connection_id_started_at", table_name="sync_runs")
    op.drop_table("sync_runs")
    op.drop_index("ix_issues_project_id_updated_at", table_name="issues")
    op.drop_table("issues")
    op.drop_index("ix_tracker_connections_project_id", table_name="tracker_connections")
    op.drop_table("tracker_connections")
