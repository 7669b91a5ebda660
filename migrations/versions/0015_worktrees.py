"""Worktrees: one git worktree per task, outside the main workspace.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aiops.adapters.sqlalchemy.tables import UtcDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worktrees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.Column("branch", sa.String(255), nullable=False),
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_worktrees_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_worktrees_project_id_projects",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name="fk_worktrees_issue_id_issues", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_worktrees"),
        sa.UniqueConstraint(
            "user_id", "project_id", "branch", name="uq_worktrees_user_id_project_id_branch"
        ),
        sa.UniqueConstraint("path", name="uq_worktrees_path"),
    )
    op.create_index("ix_worktrees_project_id", "worktrees", ["project_id"])


def downgrade() -> None:
    op.drop_index("ix_worktrees_project_id", table_name="worktrees")
    op.drop_table("worktrees")
