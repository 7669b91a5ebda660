"""aiops agent-context write | append | clear: the issue-context block of AGENTS.override.md
at the root of the git workspace around the current directory (or --workspace PATH).

Works without a server: when the database is missing, unreachable or not migrated, `write`
still writes the id, title and notes, and says on stderr that it could not look the issue up.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from aiops.domain.model.agent_context import IssueContext
    from aiops.domain.usecases.agent_context import AgentContextResult, ContextAction

app = typer.Typer(
    help="The issue context in AGENTS.override.md of a git workspace.", no_args_is_help=True
)

IssueRef = Annotated[
    str, typer.Option("--issue", help='An aiops issue id, or a tracker number ("OPS-7", "#12").')
]
Workspace = Annotated[
    Path | None,
    typer.Option(
        "--workspace", help="The git workspace (default: the one around the current directory)."
    ),
]


@app.command()
def write(
    issue: IssueRef,
    title: Annotated[str, typer.Option("--title", help="The issue's title.")],
    workspace: Workspace = None,
) -> None:
    """Write the issue (and what aiops has synced about it) and the notes on stdin."""
    from aiops.domain.model import agent_context
    from aiops.domain.model.agent_context import IssueContext

    root = _workspace(workspace)
    given = IssueContext(id=agent_context.issue_id(issue), title=agent_context.title(title))
    synced = _look_up(given.id, root)
    context = given if synced is None else _merged(given, synced)
    _edit(root, _action("write"), context=context, notes=_stdin())


@app.command()
def append(issue: IssueRef, workspace: Workspace = None) -> None:
    """Add the notes on stdin to the block."""
    from aiops.domain.model import agent_context

    agent_context.issue_id(issue)
    _edit(_workspace(workspace), _action("append"), notes=_stdin())


@app.command()
def clear(workspace: Workspace = None) -> None:
    """Empty the block (the markers stay)."""
    _edit(_workspace(workspace), _action("clear"))


def _action(name: str) -> ContextAction:
    from aiops.domain.usecases.agent_context import ContextAction

    return ContextAction(name)


def _workspace(given: Path | None) -> Path:
    """--workspace as given, else the nearest folder holding .git from here upwards."""
    from aiops.domain.model.workspaces import WorkspaceMissing

    if given is not None:
        return given.absolute()
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    raise WorkspaceMissing("not inside a git workspace: cd into one or pass --workspace PATH")


def _stdin() -> str:
    """The notes: what stdin holds, nothing when it is a terminal."""
    if sys.stdin is None or sys.stdin.isatty():
        return ""
    return sys.stdin.read()


def _look_up(issue: str, workspace: Path) -> IssueContext | None:
    """What aiops knows about the issue, or None (with a line on stderr when the database
    could not be asked)."""
    from aiops.adapters.errors import AdapterError
    from aiops.config import ConfigError, load_settings
    from aiops.domain.usecases.agent_context import LookUpCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    try:
        missing = _missing_database(load_settings().database_url)
        if missing:
            raise AdapterError(missing)
        found = open_container().look_up_issue()(
            LookUpCommand(issue=issue, workspace=workspace, actor=actor())
        )
    except (AdapterError, ConfigError) as error:
        print(
            f"aiops: could not look issue {issue} up ({error}); writing its id and title only",
            file=sys.stderr,
        )
        return None
    if found is None:
        print(f"aiops: issue {issue} is not one aiops has synced", file=sys.stderr)
    return found


def _missing_database(url: str) -> str | None:
    """Why there is no database to ask: a SQLite file that does not exist (connecting would
    create an empty one, in whatever folder the command runs)."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return None  # the engine says what is wrong with it
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or database in (None, "", ":memory:"):
        return None
    return None if Path(database).is_file() else f"no database at {database}"


def _merged(given: IssueContext, synced: IssueContext) -> IssueContext:
    import attrs

    return attrs.evolve(synced, id=given.id, title=given.title)


def _edit(
    workspace: Path,
    action: ContextAction,
    *,
    context: IssueContext | None = None,
    notes: str = "",
) -> None:
    from aiops.container import Container
    from aiops.domain.usecases.agent_context import EditCommand

    # Only the file adapter is used (no database): it acts as whoever runs the command.
    result = Container().edit_agent_context()(
        EditCommand(workspace=workspace, action=action, context=context, notes=notes)
    )
    print(_said(action.value, result))


def _said(action: str, result: AgentContextResult) -> str:
    if not result.changed:
        return f"{result.path}: nothing to change"
    verbs = {
        "write": "wrote",
        "append": "appended the notes to",
        "clear": "cleared the issue context in",
    }
    return f"{verbs[action]} {result.path}"
