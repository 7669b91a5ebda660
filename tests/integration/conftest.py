"""Real databases for integration tests: a SQLite file per test, and on PostgreSQL a fresh
database per run (AIOPS_TEST_POSTGRES_URL names the server; one per xdist worker) with an empty
schema per test.

A test that asks for `migrated` (every `app` test does) gets a database at the head revision
without running alembic again: on SQLite a copy of a file the migrations built once per
session; on PostgreSQL the schema the previous such test left, emptied with TRUNCATE, as long
as its catalog still matches, column for column and index for index, the one the migrations
built (a test that downgraded or altered it makes the next one start from scratch)."""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError

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
            # A commit need not wait for the WAL to reach the disk: this throwaway database
            # never outlives a crash. Everything else (isolation, locks) is as in production.
            connection.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
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


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file the migrations brought to the head revision, once per session: tests
    that need a migrated database, and CLI instances, start from a copy."""
    path = tmp_path_factory.mktemp("template") / "aiops.db"
    engine = make_engine(f"sqlite:///{path}")
    migrations.upgrade(engine)
    engine.dispose()
    assert not path.with_name("aiops.db-wal").exists(), "the WAL was not checkpointed"
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database on each backend (already migrated if the test asks for
    `migrated`)."""
    return empty_database(request.param, request, tmp_path)


def empty_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    wants_schema = "migrated" in request.fixturenames
    if backend == "sqlite":
        path = tmp_path / "aiops.db"
        if wants_schema:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    engine = create_engine(url)
    with engine.begin() as connection:
        if wants_schema and _PostgresSchema.reusable:
            connection.exec_driver_sql(_PostgresSchema.emptying)
        else:
            _PostgresSchema.reusable = False
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    return url


class _PostgresSchema:
    """This session's (worker's) PostgreSQL schema: the fingerprint of the catalog the
    migrations built, the statements that empty it (every table, children before parents,
    every sequence back to its start), and whether the schema now in place still has it."""

    head: str | None = None
    emptying = ""
    reusable = False


def _emptying(connection: Connection) -> str:
    tables = {
        row[0]
        for row in connection.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )
    }
    parents: dict[str, set[str]] = {table: set() for table in tables}
    for child, parent in connection.exec_driver_sql(
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
        "WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
    ):
        if child != parent:
            parents[child.strip('"')].add(parent.strip('"'))
    order: list[str] = []
    while len(order) < len(tables):
        # A table goes once no table left to empty refers to it.
        ready = sorted(
            t
            for t in tables - set(order)
            if not any(t in parents[other] for other in tables - set(order) - {t})
        )
        assert ready, f"a cycle of foreign keys among {sorted(tables - set(order))}"
        order += ready
    deletes = "".join(f'DELETE FROM "{table}";' for table in order)  # noqa: S608 - our own tables
    return deletes + (
        "SELECT setval(quote_ident(schemaname) || '.' || quote_ident(sequencename), start_value, false) "
        "FROM pg_sequences WHERE schemaname = 'public';"
    )


# Everything a test could change in the schema: columns (type, default, nullability),
# constraints, indexes, sequences, and the revision alembic recorded.
_CATALOG = """
SELECT 'c ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
       || ' ' || coalesce(column_default, '') FROM information_schema.columns
 WHERE table_schema = 'public'
UNION ALL
SELECT 'k ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT 'i ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 's ' || sequencename FROM pg_sequences WHERE schemaname = 'public'
UNION ALL
SELECT 'v ' || version_num FROM alembic_version
ORDER BY 1
"""


def _fingerprint(engine: Engine) -> str:
    with engine.connect() as connection:
        rows = [row[0] for row in connection.exec_driver_sql(_CATALOG)]
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def migrated(engine: Engine) -> Iterator[Engine]:
    """The engine's database at the head revision (see the module's docstring)."""
    if migrations.current_revision(engine) != migrations.head_revision():
        migrations.upgrade(engine)
    postgres = engine.dialect.name == "postgresql"
    if postgres and _PostgresSchema.head is None:
        _PostgresSchema.head = _fingerprint(engine)
        with engine.connect() as connection:
            _PostgresSchema.emptying = _emptying(connection)
    yield engine
    if postgres:
        try:
            _PostgresSchema.reusable = _fingerprint(engine) == _PostgresSchema.head
        except DBAPIError:  # the test broke the schema beyond reading (alembic_version gone)
            _PostgresSchema.reusable = False


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
        session_refresh_seconds=0,  # the server's pane refresh: tests that want it turn it on
    )


@pytest.fixture
def app(settings: Settings, migrated: Engine) -> Iterator[Container]:
    """The real container on a migrated database of each backend."""
    container = bootstrap(settings)
    yield container
    container.shutdown_resources()
