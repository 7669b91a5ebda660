"""aiops git status | fetch | pull | push | branches | checkout | create-branch | merge,
and aiops init-workspace: a user's workspace of a project, from the terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from aiops.domain.usecases.workspaces import TransferWatch, WorkspaceResult

app = typer.Typer(help="A user's git workspace of a project.", no_args_is_help=True)

Email = Annotated[str, typer.Option("--user-email", help="Whose workspace (their email).")]
ProjectId = Annotated[int, typer.Option("--project-id", help="The project's id.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Branch = Annotated[str, typer.Argument(metavar="BRANCH", help="A branch name.")]


def init_workspace(user_email: Email, project_id: ProjectId, json: Json = False) -> None:
    """Clone the project into the user's workspace (or report the clone already there)."""
    from aiops.domain.usecases._workspace import WorkspaceRef
    from aiops.entrypoints.cli._runtime import actor, open_container

    use_case = open_container().init_workspace()
    ref = WorkspaceRef(project_id=project_id, user_email=user_email, actor=actor())
    result = _transferring(lambda watch: use_case(ref, watch))
    verb = "cloned into" if result.created else "already initialized at"
    _show(result, json, headline=f"workspace {verb} {result.path}")


@app.command()
def status(user_email: Email, project_id: ProjectId, json: Json = False) -> None:
    """Branch, upstream, ahead/behind, changes and the last commit."""
    from aiops.domain.usecases._workspace import WorkspaceRef
    from aiops.entrypoints.cli._runtime import actor, open_container

    result = open_container().workspace_status()(
        WorkspaceRef(project_id=project_id, user_email=user_email, actor=actor())
    )
    _show(result, json)


@app.command()
def branches(user_email: Email, project_id: ProjectId, json: Json = False) -> None:
    """Local and remote branches (the current one starred)."""
    from aiops.domain.usecases._workspace import WorkspaceRef
    from aiops.entrypoints.cli._runtime import actor, jsonable, open_container, print_object

    found = open_container().list_branches()(
        WorkspaceRef(project_id=project_id, user_email=user_email, actor=actor())
    )
    if json:
        print_object(jsonable(found))
        return
    for name in found.local:
        print(f"{'*' if name == found.current else ' '} {name}")
    for name in found.remote:
        print(f"  {name}")


def _operate(
    operation: str,
    user_email: str,
    project_id: int,
    json: bool,
    branch: str | None = None,
    base: str | None = None,
) -> None:
    from aiops.domain.usecases.workspaces import GitOperation, OperateCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    use_case = open_container().operate_workspace()
    cmd = OperateCommand(
        project_id=project_id,
        user_email=user_email,
        actor=actor(),
        operation=GitOperation(operation),
        branch=branch,
        base=base,
    )
    if cmd.operation in (GitOperation.FETCH, GitOperation.PULL):
        result = _transferring(lambda watch: use_case(cmd, watch))
    else:  # no transfer: Ctrl-C interrupts as usual
        result = use_case(cmd)
    outcome = result.outcome
    kind = getattr(outcome, "kind", None)
    done = f"{operation}: {kind.value.replace('_', ' ')}" if kind else f"{operation}: done"
    _show(result, json, headline=done)


@app.command()
def fetch(user_email: Email, project_id: ProjectId, json: Json = False) -> None:
    """Fetch from origin."""
    _operate("fetch", user_email, project_id, json)


@app.command()
def pull(user_email: Email, project_id: ProjectId, json: Json = False) -> None:
    """Fetch and bring the current branch up to date (fast-forward, or merge when diverged)."""
    _operate("pull", user_email, project_id, json)


@app.command()
def push(user_email: Email, project_id: ProjectId, json: Json = False) -> None:
    """Push the current branch to origin (a non-fast-forward is refused)."""
    _operate("push", user_email, project_id, json)


@app.command()
def checkout(branch: Branch, user_email: Email, project_id: ProjectId, json: Json = False) -> None:
    """Switch to an existing branch (local, or origin's)."""
    _operate("checkout", user_email, project_id, json, branch)


@app.command("create-branch")
def create_branch(
    branch: Branch,
    user_email: Email,
    project_id: ProjectId,
    base: Annotated[
        str | None, typer.Option("--from", help="Start point (default: the current HEAD).")
    ] = None,
    json: Json = False,
) -> None:
    """Create a branch and check it out."""
    _operate("create-branch", user_email, project_id, json, branch, base)


@app.command()
def merge(branch: Branch, user_email: Email, project_id: ProjectId, json: Json = False) -> None:
    """Merge a branch into the current one (conflicts leave the tree as it was)."""
    _operate("merge", user_email, project_id, json, branch)


def _transferring(run: Callable[[TransferWatch], WorkspaceResult]) -> WorkspaceResult:
    """Run a use case that may clone or fetch: its progress as a bar on a terminal's stderr,
    the first Ctrl-C as its cancel (one line, exit 130; a clone leaves no folder)."""
    from aiops.domain.model.workspaces import TransferCancelled
    from aiops.domain.usecases.workspaces import TransferWatch
    from aiops.entrypoints.cli._progress import INTERRUPTED, CtrlC, ProgressBar

    bar = ProgressBar()
    try:
        with CtrlC().catching() as ctrl_c:
            return run(TransferWatch(progress=bar, cancel=ctrl_c))
    except TransferCancelled as cancelled:
        bar.close()
        print(f"aiops: {cancelled.message}", file=sys.stderr)
        raise typer.Exit(INTERRUPTED) from None
    finally:
        bar.close()


def _show(result: WorkspaceResult, json: bool, headline: str | None = None) -> None:
    from aiops.entrypoints.cli._runtime import jsonable, print_object

    if json:
        print_object(jsonable(result))
        return
    from datetime import UTC, datetime

    from aiops.entrypoints.humanize import ago, changes, tracking

    status = result.status
    if headline:
        print(headline)
    if status is None:  # a clone under way (in this process): no status yet
        print(f"path:        {result.path}")
        return
    print(f"branch:      {tracking(status)}")
    print(f"changes:     {changes(status)}")
    if status.conflicted:
        print(f"conflicts:   {', '.join(status.conflicted)}")
    last = status.last_commit
    if last is None:
        print("last commit: none yet")
    else:
        when = ago(last.committed_at, datetime.now(UTC))
        print(f"last commit: {last.sha[:10]} {last.subject} ({last.author}, {when})")
    print(f"path:        {result.path}")
