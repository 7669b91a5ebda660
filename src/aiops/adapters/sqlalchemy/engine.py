"""Engines for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from aiops.adapters.errors import DatabaseUnavailable


def masked(url: str | URL) -> str:
    """The URL with its password hidden, fit for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    try:
        parsed = make_url(url)
        engine = create_engine(
            parsed, echo=echo, pool_pre_ping=parsed.get_backend_name() != "sqlite"
        )
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise DatabaseUnavailable(f"database URL {masked(url)} is not usable: {error}") from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout; and a real BEGIN so that a whole unit of work,
    reads included, is one transaction (pysqlite defers BEGIN to the first write)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def unavailable(engine: Engine, error: DBAPIError) -> DatabaseUnavailable:
    """One line that names the database (password masked) and the driver's first line."""
    reason = (str(error.orig) if error.orig else str(error)).strip().splitlines()[0]
    return DatabaseUnavailable(f"cannot connect to database {masked(engine.url)}: {reason}")


def check_connection(engine: Engine) -> None:
    """Connect once; a database that cannot be reached becomes one clear DatabaseUnavailable."""
    try:
        with engine.connect():
            pass
    except DBAPIError as error:
        raise unavailable(engine, error) from None
