"""Alembic, driven from code: upgrade, downgrade, current revision and the schema check that
every command and the server run before they touch the database.

The check runs on every command, so it imports no alembic (about 100 ms): the current
revision is one SELECT, the head is read from the revision files (a test holds it to
alembic's own answer). Alembic is imported when there is migrating to do.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from aiops.adapters.errors import SchemaOutOfDate
from aiops.adapters.sqlalchemy.engine import READ_ONLY, unavailable

if TYPE_CHECKING:
    from alembic.config import Config

_ASSIGNMENT = re.compile(r"^(revision|down_revision) = (.+)$", re.MULTILINE)


def script_location() -> Path:
    """migrations/ of the source tree, or its copy inside an installed wheel."""
    package = Path(__file__).resolve().parents[2]  # src/aiops
    for candidate in (package / "_migrations", package.parents[1] / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("the alembic migrations folder is missing from this installation")


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location()))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The one revision no other revision builds on, from the files' `revision` and
    `down_revision` lines."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (script_location() / "versions").glob("*.py"):
        fields = dict(_ASSIGNMENT.findall(path.read_text()))
        revisions.add(ast.literal_eval(fields["revision"]))
        down = ast.literal_eval(fields["down_revision"])
        parents.update(down if isinstance(down, tuple) else [down] if down else [])
    heads = revisions - parents
    assert len(heads) == 1, f"the migrations have {len(heads)} heads: {sorted(heads)}"
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            connection.execution_options(**{READ_ONLY: True})  # readiness checks never lock
            if not inspect(connection).has_table("alembic_version"):
                return None
            version = connection.execute(text("SELECT version_num FROM alembic_version"))
            current: str | None = version.scalar()
            return current
    except DBAPIError as error:
        raise unavailable(engine, error) from None


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    _run(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    _run(engine, lambda config: command.downgrade(config, revision))


def _run(engine: Engine, step: Callable[[Config], None]) -> None:
    try:
        with engine.begin() as connection:
            step(_config(connection))
    except DBAPIError as error:
        raise unavailable(engine, error) from None


def _known(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

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
