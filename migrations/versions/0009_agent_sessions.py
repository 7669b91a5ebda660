"""AI coding sessions launched in tmux.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aiops.adapters.sqlalchemy.tables import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("tool", sa.String(16), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.Column("linux_user", sa.String(32), nullable=False),
        sa.Column("tmux_socket", sa.String(1024), nullable=False),
        sa.Column("tmux_session", sa.String(100), nullable=False),
        sa.Column("tmux_window", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("last_activity", UtcDateTime(), nullable=True),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint(
            "tool IN ('codex', 'gemini', 'claude', 'shell')", name="ck_agent_sessions_tool"
        ),
        sa.CheckConstraint(
            "status IN ('running', 'waiting', 'idle', 'exited')", name="ck_agent_sessions_status"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_agent_sessions_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_agent_sessions_project_id_projects",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issues.id"],
            name="fk_agent_sessions_issue_id_issues",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_agent_sessions"),
    )
    op.create_index(
        "ix_agent_sessions_project_id_status", "agent_sessions", ["project_id", "status"]
    )


def downgrade() -> None:
    op.drop_index("ix_agent_sessions_project_id_status", table_name="agent_sessions")
    op.drop_table("agent_sessions")
