"""Each project's clone settings: a partial clone's filter ("none" or "blob:none") and the
history's depth (0: all of it).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(
            sa.Column("clone_filter", sa.String(16), nullable=False, server_default="none")
        )
        batch.add_column(sa.Column("clone_depth", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("clone_depth")
        batch.drop_column("clone_filter")
