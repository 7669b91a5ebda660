"""Engines for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from aiops.adapters.errors import DatabaseBusy, DatabaseUnavailable

# The execution option a read-only unit of work sets on its connection.
READ_ONLY = "aiops_read_only"
DEFAULT_BUSY_TIMEOUT_MS = 5000
_SQLITE_BUSY = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED (low byte of the extended code)
# lock_not_available, deadlock_detected, serialization_failure
_POSTGRES_BUSY = {"55P03", "40P01", "40001"}


def masked(url: str | URL) -> str:
    """The URL with its password hidden, fit for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def make_engine(
    url: str, *, echo: bool = False, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS
) -> Engine:
    try:
        parsed = make_url(url)
        engine = create_engine(
            parsed, echo=echo, pool_pre_ping=parsed.get_backend_name() != "sqlite"
        )
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise DatabaseUnavailable(f"database URL {masked(url)} is not usable: {error}") from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, busy_timeout_ms)
    event.listen(engine, "handle_error", _busy_is_a_wait)
    return engine


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """Configured for a server: WAL (readers never wait for the writer), synchronous=NORMAL
    (durable at each checkpoint, safe in WAL), foreign keys, a busy timeout; and a real BEGIN
    so that a whole unit of work, reads included, is one transaction (pysqlite defers BEGIN to
    the first write).

    A transaction that writes begins IMMEDIATE: it takes the write lock up front, waiting up to
    the busy timeout. A deferred one that read first could not upgrade when another writer had
    committed in between, and SQLite would refuse it at once ("database is locked") instead of
    waiting. A read-only one begins deferred with query_only on: it never takes the lock, and a
    write in it is an error, not a silent contention point."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = bool(connection.get_execution_options().get(READ_ONLY))
        flags = connection.connection.info  # lives as long as the driver's connection
        if flags.get("query_only") is not read_only:
            connection.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
            flags["query_only"] = read_only
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def is_busy(error: BaseException | None) -> bool:
    """Whether a driver error means "another transaction holds the lock" (worth a retry)."""
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _SQLITE_BUSY
    return getattr(error, "sqlstate", None) in _POSTGRES_BUSY


def _busy_is_a_wait(context: ExceptionContext) -> DatabaseBusy | None:
    """Lock contention, on any statement, becomes one DatabaseBusy (503 + Retry-After, or the
    CLI's one line); the transaction it interrupted is rolled back by its unit of work."""
    return DatabaseBusy() if is_busy(context.original_exception) else None


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
