"""Notifications through apprise (issue 18): each user's and each tenant's targets (the
apprise URL sealed with the secret key, shown masked) and the deliveries queued for them,
unique per target and dedup key (one "waiting" per wait).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aiops.adapters.sqlalchemy.tables import UtcDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_targets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column(
            "tenant_id", sa.Integer, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("url_sealed", sa.Text, nullable=False),
        sa.Column("url_masked", sa.String(300), nullable=False),
        sa.Column("events", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_result", sa.String(8), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("last_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint("(user_id IS NULL) <> (tenant_id IS NULL)", name="owner"),
    )
    op.create_index("ix_notification_targets_user_id", "notification_targets", ["user_id"])
    op.create_index("ix_notification_targets_tenant_id", "notification_targets", ["tenant_id"])
    op.create_table(
        "notice_deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "target_id",
            sa.Integer,
            sa.ForeignKey("notification_targets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("dedup_key", sa.String(255), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("link", sa.String(500), nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("last_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'sent', 'failed')", name="status"),
        sa.UniqueConstraint(
            "target_id", "dedup_key", name="uq_notice_deliveries_target_id_dedup_key"
        ),
    )
    op.create_index(
        "ix_notice_deliveries_status_next_attempt_at",
        "notice_deliveries",
        ["status", "next_attempt_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_notice_deliveries_status_next_attempt_at", table_name="notice_deliveries")
    op.drop_table("notice_deliveries")
    op.drop_index("ix_notification_targets_tenant_id", table_name="notification_targets")
    op.drop_index("ix_notification_targets_user_id", table_name="notification_targets")
    op.drop_table("notification_targets")
