"""Alembic environment: migrations run on a connection that aiops (or alembic's CLI) provides."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from aiops.adapters.sqlalchemy.engine import make_engine
from aiops.adapters.sqlalchemy.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # Plain `alembic ...` from the repository root: the same database aiops would use.
    from aiops.config import load_settings

    url = os.environ.get("AIOPS_DATABASE_URL") or load_settings().database_url
    with make_engine(url).begin() as owned:
        _run(owned)


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
