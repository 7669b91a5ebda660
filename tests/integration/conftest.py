"""Real databases for integration tests: a SQLite file per test, and on PostgreSQL a fresh
database per run (AIOPS_TEST_POSTGRES_URL names the server) with an empty schema per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.exc import OperationalError

from aiops.adapters.sqlalchemy import migrations
from aiops.adapters.sqlalchemy.engine import make_engine
from aiops.config import Settings, load_settings
from aiops.container import Container, bootstrap

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database made for this run on the test server, dropped at the end."""
    server = os.environ.get("AIOPS_TEST_POSTGRES_URL")
    if not server:
        pytest.skip(
            "AIOPS_TEST_POSTGRES_URL is not set (e.g. postgresql+psycopg://postgres@127.0.0.1/postgres)"
        )
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"aiops_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except OperationalError as error:
        admin.dispose()
        pytest.skip(
            f"PostgreSQL at {make_url(server).render_as_string()} is not reachable: {error.orig}"
        )
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database on each backend."""
    return empty_database(request.param, request, tmp_path)


def empty_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'aiops.db'}"
    url: str = request.getfixturevalue("postgres_database")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def migrated(engine: Engine) -> Engine:
    migrations.upgrade(engine)
    return engine


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # OWASP's minimum argon2id cost keeps the tests quick; production defaults are higher.
    return load_settings(
        database_url=database_url,
        instance_path=tmp_path / "instance",
        workspace_root=tmp_path / "home",
        argon2_time_cost=2,
        argon2_memory_kib=19 * 1024,
        argon2_parallelism=1,
    )


@pytest.fixture
def app(settings: Settings, migrated: Engine) -> Iterator[Container]:
    """The real container on a migrated database of each backend."""
    container = bootstrap(settings)
    yield container
    container.shutdown_resources()
