"""Agent status from the tools' own hooks (issue 18): a session's status gains the time it
began and its source (`hook` or `pane`); `running` becomes `working` and `finished`/`failed`
join; every status a session went through is kept in `agent_events`, with the hook event
that caused it (its `event_id` once per session: a replayed event is refused).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

from aiops.adapters.sqlalchemy.tables import UtcDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

OLD = "status IN ('running', 'waiting', 'idle', 'exited')"
NEW = "status IN ('working', 'waiting', 'finished', 'idle', 'exited', 'failed')"


def _drop_checks(batch: BatchOperations, *names: str) -> None:
    """Drop CHECK constraints by the names the database holds: 0009 gave full names that the
    naming convention prefixed again (`ck_agent_sessions_ck_agent_sessions_status`)."""
    wanted = {*names, *(f"ck_agent_sessions_{name}" for name in names)}
    for check in sa.inspect(op.get_bind()).get_check_constraints("agent_sessions"):
        if check["name"] in wanted:
            batch.drop_constraint(op.f(check["name"]), type_="check")


def upgrade() -> None:
    with op.batch_alter_table("agent_sessions") as batch:
        _drop_checks(batch, "ck_agent_sessions_status")
        batch.add_column(sa.Column("status_since", UtcDateTime(), nullable=True))
        batch.add_column(
            sa.Column("status_source", sa.String(8), nullable=False, server_default="pane")
        )
    op.execute("UPDATE agent_sessions SET status = 'working' WHERE status = 'running'")
    with op.batch_alter_table("agent_sessions") as batch:
        batch.create_check_constraint("status", NEW)
        batch.create_check_constraint("status_source", "status_source IN ('hook', 'pane')")
    op.create_table(
        "agent_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("agent_sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("event_id", sa.String(64), nullable=True),  # the hook's; None for the pane
        sa.Column("event", sa.String(64), nullable=False),  # e.g. Notification, agent-turn-complete
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(NEW, name="status"),
        sa.CheckConstraint("source IN ('hook', 'pane')", name="source"),
        sa.UniqueConstraint("session_id", "event_id", name="uq_agent_events_session_id_event_id"),
    )
    op.create_index("ix_agent_events_session_id_id", "agent_events", ["session_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_agent_events_session_id_id", table_name="agent_events")
    op.drop_table("agent_events")
    with op.batch_alter_table("agent_sessions") as batch:
        _drop_checks(batch, "ck_agent_sessions_status_source", "ck_agent_sessions_status")
    op.execute(
        "UPDATE agent_sessions SET status = CASE status WHEN 'working' THEN 'running' "
        "WHEN 'finished' THEN 'waiting' WHEN 'failed' THEN 'exited' ELSE status END"
    )
    with op.batch_alter_table("agent_sessions") as batch:
        batch.drop_column("status_source")
        batch.drop_column("status_since")
        batch.create_check_constraint("status", OLD)
