"""The engine on PostgreSQL: a pooled connection the server dropped while it sat idle is
replaced before a unit of work gets it (no error reaches the caller)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, make_url

from aiops.adapters.errors import DatabaseUnavailable
from aiops.adapters.sqlalchemy import engine as engines
from aiops.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork

pytestmark = pytest.mark.postgres


def _drop_connections(url: str) -> int:
    """Terminate every server process connected to the database of `url`; how many."""
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            dropped = connection.exec_driver_sql(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %(name)s AND pid <> pg_backend_pid()",
                {"name": make_url(url).database},
            ).scalar_one()
    finally:
        admin.dispose()
    return int(dropped)


def _list_tenants(engine: engines.Engine) -> None:
    """One unit of work that reads (the database is shared: what it holds does not matter)."""
    with SqlAlchemyUnitOfWork(engine, read_only=True) as uow:
        uow.tenants.list()


def test_a_connection_dropped_while_idle_is_replaced_before_use(
    postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiops.adapters.sqlalchemy import migrations

    engine = engines.make_engine(postgres_database)
    migrations.upgrade(engine)
    _list_tenants(engine)  # a connection now sits in the pool
    assert _drop_connections(postgres_database) >= 1
    monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", 0.0)  # as if 10 s had passed

    _list_tenants(engine)
    engine.dispose()


def test_a_connection_used_again_at_once_is_not_pinged(postgres_database: str) -> None:
    """The contrast: within the idle window nothing is checked, so a connection the server
    dropped that very moment fails its unit of work with one clear error (a 503, not a 500),
    and the next unit of work connects afresh."""
    from aiops.adapters.sqlalchemy import migrations

    engine = engines.make_engine(postgres_database)
    migrations.upgrade(engine)
    _list_tenants(engine)
    assert _drop_connections(postgres_database) >= 1

    with pytest.raises(DatabaseUnavailable, match="lost the connection to the database"):
        _list_tenants(engine)
    _list_tenants(engine)
    engine.dispose()
