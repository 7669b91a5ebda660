"""aiops db upgrade | current | downgrade REV"""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


@app.command()
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Upgrade the database schema (to the newest revision by default)."""
    from aiops.adapters.sqlalchemy import migrations
    from aiops.entrypoints.cli._runtime import open_container

    engine = open_container(check_schema=False).engine()
    before = migrations.current_revision(engine)
    migrations.upgrade(engine, revision)
    after = migrations.current_revision(engine)
    if before == after:
        print(f"database already at revision {after}")
    else:
        print(f"database upgraded from {before or 'empty'} to {after}")


@app.command()
def current() -> None:
    """Show the database's revision and whether it is current."""
    from aiops.adapters.sqlalchemy import migrations
    from aiops.entrypoints.cli._runtime import open_container

    engine = open_container(check_schema=False).engine()
    revision, head = migrations.current_revision(engine), migrations.head_revision()
    state = "up to date" if revision == head else "behind: run `aiops db upgrade`"
    print(f"current revision: {revision or 'none'} (code needs {head}; {state})")


@app.command()
def downgrade(
    revision: Annotated[
        str, typer.Argument(help="Target revision, or 'base' for an empty schema.")
    ],
) -> None:
    """Downgrade the database schema to REV."""
    from aiops.adapters.sqlalchemy import migrations
    from aiops.entrypoints.cli._runtime import open_container

    engine = open_container(check_schema=False).engine()
    before = migrations.current_revision(engine)
    migrations.downgrade(engine, revision)
    after = migrations.current_revision(engine)
    print(f"database downgraded from {before or 'empty'} to {after or 'base'}")
