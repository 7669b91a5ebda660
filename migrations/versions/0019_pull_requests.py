"""From issue to merged pull request (issue 19): a project's two switches of the loop
(`auto_pull_request`, `auto_review_to_agent`, off for every existing project), the pull
requests aiops opened (one per code host connection and number) and the loop's steps (one per
key: queueing a step twice never makes a second one).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aiops.adapters.sqlalchemy.tables import UtcDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(
            sa.Column("auto_pull_request", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("auto_review_to_agent", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.create_table(
        "pull_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "project_id",
            sa.Integer,
            sa.ForeignKey("projects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "connection_id",
            sa.Integer,
            sa.ForeignKey("tracker_connections.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column(
            "issue_id", sa.Integer, sa.ForeignKey("issues.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("head", sa.String(255), nullable=False),
        sa.Column("base", sa.String(255), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("review", sa.String(32), nullable=False),
        sa.Column("checks", sa.String(16), nullable=False),
        sa.Column("checks_summary", sa.Text, nullable=False),
        sa.Column("failing_checks", sa.JSON, nullable=False),
        sa.Column("unresolved", sa.JSON, nullable=False),
        sa.Column("head_sha", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("provider IN ('github', 'gitlab')", name="provider"),
        sa.CheckConstraint("state IN ('open', 'draft', 'merged', 'closed')", name="state"),
        sa.CheckConstraint(
            "review IN ('none', 'commented', 'approved', 'changes_requested')", name="review"
        ),
        sa.CheckConstraint("checks IN ('none', 'pending', 'passing', 'failing')", name="checks"),
        sa.UniqueConstraint(
            "connection_id", "number", name="uq_pull_requests_connection_id_number"
        ),
    )
    op.create_index("ix_pull_requests_project_id", "pull_requests", ["project_id"])
    op.create_index("ix_pull_requests_issue_id", "pull_requests", ["issue_id"])
    op.create_table(
        "loop_steps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column(
            "issue_id", sa.Integer, sa.ForeignKey("issues.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column(
            "pull_request_id",
            sa.Integer,
            sa.ForeignKey("pull_requests.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("actor", sa.String(254), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("result", sa.Text, nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("done_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('open-pull-request', 'comment', 'review-to-agent')", name="kind"
        ),
        sa.CheckConstraint("state IN ('pending', 'done', 'failed')", name="state"),
        sa.UniqueConstraint("key", name="uq_loop_steps_key"),
    )
    op.create_index(
        "ix_loop_steps_state_next_attempt_at", "loop_steps", ["state", "next_attempt_at"]
    )
    op.create_index("ix_loop_steps_issue_id", "loop_steps", ["issue_id"])
    op.create_index("ix_loop_steps_pull_request_id", "loop_steps", ["pull_request_id"])


def downgrade() -> None:
    op.drop_index("ix_loop_steps_pull_request_id", table_name="loop_steps")
    op.drop_index("ix_loop_steps_issue_id", table_name="loop_steps")
    op.drop_index("ix_loop_steps_state_next_attempt_at", table_name="loop_steps")
    op.drop_table("loop_steps")
    op.drop_index("ix_pull_requests_issue_id", table_name="pull_requests")
    op.drop_index("ix_pull_requests_project_id", table_name="pull_requests")
    op.drop_table("pull_requests")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("auto_review_to_agent")
        batch.drop_column("auto_pull_request")
