"""Sign-in through OpenID Connect (issue 20): the provider accounts users sign in with
(`user_identities`, one per provider and `sub`), where a membership and a global admin right
came from (`memberships.source`: every existing one 'manual'; `users.admin_source`: NULL, which
counts as by hand, for every existing user), and one-time sign-in links (`sign_in_links`, only
the secret's digest).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aiops.adapters.sqlalchemy.tables import UtcDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(sa.Column("source", sa.String(8), nullable=False, server_default="manual"))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("admin_source", sa.String(8), nullable=True))
    op.create_table(
        "user_identities",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_sign_in_at", UtcDateTime(), nullable=True),
        sa.UniqueConstraint("provider", "subject", name="uq_user_identities_provider_subject"),
    )
    op.create_index("ix_user_identities_user_id", "user_identities", ["user_id"])
    op.create_table(
        "sign_in_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
        sa.Column("created_by", sa.String(254), nullable=False),
        sa.UniqueConstraint("digest", name="uq_sign_in_links_digest"),
    )
    op.create_index("ix_sign_in_links_user_id", "sign_in_links", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_links_user_id", table_name="sign_in_links")
    op.drop_table("sign_in_links")
    op.drop_index("ix_user_identities_user_id", table_name="user_identities")
    op.drop_table("user_identities")
    # In place (SQLite >= 3.35 drops a column itself): a copied and replaced `users` table
    # would take every membership, token and identity with it (ON DELETE CASCADE).
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.drop_column("admin_source")
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("source")
