"""Alembic, driven from code: upgrade, downgrade, current revision and the schema check that
every command and the server run before they touch the database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from aiops.adapters.errors import SchemaOutOfDate
from aiops.adapters.sqlalchemy.engine import unavailable


def script_location() -> Path:
    """migrations/ of the source tree, or its copy inside an installed wheel."""
    package = Path(__file__).resolve().parents[2]  # src/aiops
    for candidate in (package / "_migrations", package.parents[1] / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("the alembic migrations folder is missing from this installation")


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "no migration revisions"
    return head


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except DBAPIError as error:
        raise unavailable(engine, error) from None


def upgrade(engine: Engine, revision: str = "head") -> None:
    _run(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, lambda config: command.downgrade(config, revision))


def _run(engine: Engine, step: Callable[[Config], None]) -> None:
    try:
        with engine.begin() as connection:
            step(_config(connection))
    except DBAPIError as error:
        raise unavailable(engine, error) from None


def _known(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(_config()).get_revision(revision) is not None
    except CommandError:
        return False


def ensure_current(engine: Engine) -> str:
    """The head revision, once the database is known to be at it; else SchemaOutOfDate."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return head
    if current is None:
        message = (
            f"database has no aiops schema yet, this code needs {head}: run `aiops db upgrade`"
        )
    elif _known(current):
        message = (
            f"database is at revision {current}, this code needs {head}: run `aiops db upgrade`"
        )
    else:
        message = (
            f"database is at revision {current}, which this version of aiops does not know "
            f"(it needs {head}): run a newer aiops, or downgrade with the version that upgraded it"
        )
    raise SchemaOutOfDate(message)
