"""SSH identities, and the identity a project reaches its git remote with.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aiops.adapters.sqlalchemy.tables import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ssh_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("private_key_path", sa.String(4096), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_ssh_identities_owner_id_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ssh_identities"),
        sa.UniqueConstraint("name", name="uq_ssh_identities_name"),
    )
    # SQLite cannot add a foreign key to an existing table: batch mode copies the table.
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("identity_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_projects_identity_id_ssh_identities",
            "ssh_identities",
            ["identity_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_projects_identity_id", ["identity_id"])


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.drop_index("ix_projects_identity_id")
        batch.drop_constraint("fk_projects_identity_id_ssh_identities", type_="foreignkey")
        batch.drop_column("identity_id")
    op.drop_table("ssh_identities")
