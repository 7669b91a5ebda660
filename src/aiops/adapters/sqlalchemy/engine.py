"""Engines for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, NoSuchModuleError

from aiops.adapters.errors import DatabaseBusy, DatabaseUnavailable

# The execution option a read-only unit of work sets on its connection.
READ_ONLY = "aiops_read_only"
DEFAULT_BUSY_TIMEOUT_MS = 5000
# Connections kept open. A request runs its units of work in one of the web server's 40
# worker threads (anyio's default); a connection opened above the pool's size is closed again
# when it is returned, and opening one costs far more than a request (on SQLite: the file and
# its PRAGMAs; on PostgreSQL: a new server process). SQLite's are cheap to keep, so every thread
# keeps one; a PostgreSQL server's connections are shared by every worker and process.
SQLITE_POOL_SIZE = 40
SERVER_POOL_SIZE = 20
POOL_OVERFLOW = 20
# A pooled server connection idle this long is pinged before it is handed out again.
PING_AFTER_IDLE_SECONDS = 10.0
_IDLE_SINCE = "aiops_idle_since"
_WRITING = "aiops_writing"  # this connection holds its engine's writer lock
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
        sqlite = parsed.get_backend_name() == "sqlite"
        engine = create_engine(
            parsed,
            echo=echo,
            pool_size=SQLITE_POOL_SIZE if sqlite else SERVER_POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
        )
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise DatabaseUnavailable(f"database URL {masked(url)} is not usable: {error}") from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, busy_timeout_ms)
    else:
        _ping_when_idle(engine)
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

    # Writers of this process queue on a lock of their own before BEGIN IMMEDIATE: the next
    # one starts the moment the last commits, where SQLite's busy handler would have them poll
    # the file lock with growing sleeps (the lock free, its waiters asleep). The busy timeout
    # still bounds the wait, and still arbitrates between processes.
    writer = threading.Lock()
    timeout = busy_timeout_ms / 1000

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = bool(connection.get_execution_options().get(READ_ONLY))
        flags = connection.connection.info  # lives as long as the driver's connection
        if flags.get("query_only") is not read_only:
            connection.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
            flags["query_only"] = read_only
        if read_only:
            connection.exec_driver_sql("BEGIN")
            return
        if not writer.acquire(timeout=timeout):
            raise DatabaseBusy()
        flags[_WRITING] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(connection)
            raise

    def _release(connection: Any) -> None:
        if connection.connection.info.pop(_WRITING, False):
            writer.release()

    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)


def _ping_when_idle(engine: Engine) -> None:
    """Make sure a pooled connection that sat idle for a while is still alive before it is used
    (the server may have restarted or dropped it); a dead one is replaced. A busy server's
    connections are never idle that long, so it does not pay a round trip per checkout, as
    `pool_pre_ping` would (two per API request, a third of a request's CPU on PostgreSQL)."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except Exception as error:
            # the pool drops this connection and checks out (or opens) another
            raise DisconnectionError(str(error)) from error


def is_busy(error: BaseException | None) -> bool:
    """Whether a driver error means "another transaction holds the lock" (worth a retry)."""
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _SQLITE_BUSY
    return getattr(error, "sqlstate", None) in _POSTGRES_BUSY


def _busy_is_a_wait(context: ExceptionContext) -> DatabaseBusy | DatabaseUnavailable | None:
    """Lock contention, on any statement, becomes one DatabaseBusy (503 + Retry-After, or the
    CLI's one line); the transaction it interrupted is rolled back by its unit of work. A
    connection the server dropped becomes DatabaseUnavailable (503, not a crash), and the pool
    is emptied so that the next unit of work connects afresh."""
    if is_busy(context.original_exception):
        return DatabaseBusy()
    if context.is_disconnect:
        reason = str(context.original_exception).strip().splitlines()[0]
        return DatabaseUnavailable(f"lost the connection to the database: {reason}")
    return None


def unavailable(engine: Engine, error: DBAPIError) -> DatabaseUnavailable:
    """One line that names the database (password masked) and the driver's first line."""
    reason = (str(error.orig) if error.orig else str(error)).strip().splitlines()[0]
    return DatabaseUnavailable(f"cannot connect to database {masked(engine.url)}: {reason}")
