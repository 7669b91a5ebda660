"""When each tracker connection's token was last set, for the admin page's "saved <date>".

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aiops.adapters.sqlalchemy.tables import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tracker_connections") as batch:
        batch.add_column(sa.Column("token_saved_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tracker_connections") as batch:
        batch.drop_column("token_saved_at")
