"""Each webhook delivery's body digest, so a signed body replayed under a new delivery id (the
id header is not signed) is a duplicate.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.add_column(sa.Column("body_sha256", sa.String(64), nullable=True))
        batch.create_unique_constraint(
            "uq_webhook_deliveries_connection_id_body_sha256", ["connection_id", "body_sha256"]
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_constraint("uq_webhook_deliveries_connection_id_body_sha256", type_="unique")
        batch.drop_column("body_sha256")
