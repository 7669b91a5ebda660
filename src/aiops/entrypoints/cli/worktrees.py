"""aiops worktree add | list | remove: one git worktree per task, beside a user's workspace."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from aiops.domain.usecases.worktrees import WorktreeView

app = typer.Typer(
    help="Git worktrees, one per task, beside a user's workspace.", no_args_is_help=True
)

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command()
def add(
    user_email: Annotated[str, typer.Option("--user-email", help="Whose worktree (their email).")],
    project_id: Annotated[int, typer.Option("--project-id", help="The project's id.")],
    issue_id: Annotated[
        int | None, typer.Option("--issue-id", help="An issue: its branch aiops/<issue-key-slug>.")
    ] = None,
    branch: Annotated[str | None, typer.Option("--branch", help="A branch name.")] = None,
    from_ref: Annotated[
        str | None,
        typer.Option(
            "--from", help="Where a new branch starts (default: origin/<default branch>)."
        ),
    ] = None,
    json: Json = False,
) -> None:
    """Add a worktree on a branch, or on an issue's branch (or report the one already there)."""
    from aiops.domain.usecases.worktrees import AddWorktreeCommand
    from aiops.entrypoints.cli._runtime import actor, jsonable, open_container, print_object

    result = open_container().add_worktree()(
        AddWorktreeCommand(
            project_id=project_id,
            user_email=user_email,
            issue_id=issue_id,
            branch=branch,
            from_ref=from_ref,
            actor=actor(),
        )
    )
    if json:
        print_object(jsonable(result))
        return
    worktree = result.worktree
    verb = "added" if result.created else "already there"
    print(f"worktree {worktree.id} {verb}: {worktree.branch} at {worktree.path}")


@app.command("list")
def list_(
    project_id: Annotated[
        int | None, typer.Option("--project-id", help="Only this project's.")
    ] = None,
    json: Json = False,
) -> None:
    """The worktrees, with their branch, status and path."""
    from aiops.domain.usecases.worktrees import ListWorktreesCommand
    from aiops.entrypoints.cli._runtime import actor, open_container, print_json, print_table

    views = open_container().list_worktrees()(
        ListWorktreesCommand(project_id=project_id, actor=actor())
    )
    if json:
        print_json(views)
        return
    print_table(
        [_row(view) for view in views],
        ["id", "project", "user", "branch", "status", "path"],
        empty="no worktrees",
    )


def _row(view: WorktreeView) -> dict[str, Any]:
    from aiops.entrypoints.humanize import changes

    status = view.status
    if status is None:
        shown = f"error: {view.error}"
    else:
        shown = changes(status) + (f", {view.unpushed} unpushed" if view.unpushed else "")
    worktree = view.worktree
    return {
        "id": worktree.id,
        "project": view.project_slug,
        "user": view.user_email,
        "branch": worktree.branch,
        "status": shown,
        "path": worktree.path,
    }


@app.command()
def remove(
    worktree_id: Annotated[int, typer.Argument(metavar="ID", help="The worktree's id.")],
    force: Annotated[
        bool, typer.Option("--force", help="Remove it even with uncommitted or unpushed work.")
    ] = False,
    json: Json = False,
) -> None:
    """Remove a worktree (its branch is kept); refused while it holds work not pushed."""
    from aiops.domain.usecases.worktrees import RemoveWorktreeCommand
    from aiops.entrypoints.cli._runtime import actor, jsonable, open_container, print_object

    removed = open_container().remove_worktree()(
        RemoveWorktreeCommand(worktree_id=worktree_id, force=force, actor=actor())
    )
    if json:
        print_object(jsonable(removed))
        return
    print(f"worktree {removed.id} removed: {removed.path} (branch {removed.branch} kept)")
