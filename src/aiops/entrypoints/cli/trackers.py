"""aiops tracker add | list | test | remove and aiops sync-issues."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from aiops.container import Container

app = typer.Typer(help="Issue tracker connections (GitHub, GitLab, Jira).", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ProjectFilter = Annotated[int | None, typer.Option("--project-id", help="Only this project.")]


@app.command()
def add(
    project_id: Annotated[int, typer.Option("--project-id", help="The project's id.")],
    provider: Annotated[str, typer.Option(help="github, gitlab or jira.")],
    base_url: Annotated[
        str,
        typer.Option(
            help="e.g. https://api.github.com, https://git.example.com, https://acme.atlassian.net"
        ),
    ],
    key: Annotated[str, typer.Option(help="owner/repo, GitLab project id or path, Jira key.")],
    token_stdin: Annotated[
        bool,
        typer.Option(
            "--token-stdin",
            help="Read the token from standard input. Jira: email:api-token is sent as Basic "
            "auth (Cloud), anything else as a Bearer personal access token (Server/DC).",
        ),
    ] = False,
    webhook_secret_stdin: Annotated[
        bool,
        typer.Option(
            "--webhook-secret-stdin", help="Read a webhook secret from the next line of stdin."
        ),
    ] = False,
) -> None:
    """Connect a project to its tracker; prints the new connection's id."""
    from aiops.domain.usecases.trackers import AddTrackerCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    if not token_stdin:
        raise typer.BadParameter("pass --token-stdin and the token on standard input")
    token = sys.stdin.readline().rstrip("\r\n")
    secret = sys.stdin.readline().rstrip("\r\n") if webhook_secret_stdin else None
    connection = open_container().add_tracker()(
        AddTrackerCommand(
            project_id=project_id,
            provider=provider,
            base_url=base_url,
            key=key,
            token=token,
            webhook_secret=secret,
            actor=actor(),
        )
    )
    print(connection.id)


@app.command("list")
def list_(project_id: ProjectFilter = None, json: Json = False) -> None:
    """Every tracker connection (tokens are never shown)."""
    from aiops.entrypoints.cli._runtime import actor, open_container, print_json, print_table

    connections = open_container().list_trackers()(actor(), project_id)
    rows = [
        {
            "id": c.id,
            "project_id": c.project_id,
            "provider": c.provider.value,
            "base_url": c.base_url,
            "key": c.key,
            "cursor": c.cursor.isoformat() if c.cursor else None,
            "last_error": c.last_error,
        }
        for c in connections
    ]
    if json:
        print_json(rows)
        return
    print_table(
        rows,
        ["id", "project_id", "provider", "key", "base_url", "cursor", "last_error"],
        empty="no tracker connections yet: aiops tracker add --project-id N ... --token-stdin",
    )


@app.command()
def test(connection_id: Annotated[int, typer.Argument(metavar="CONNECTION_ID")]) -> None:
    """One authenticated request to the tracker: does the connection work?"""
    from aiops.entrypoints.cli._runtime import actor, open_container

    print(open_container().test_tracker()(connection_id, actor()))


@app.command()
def remove(connection_id: Annotated[int, typer.Argument(metavar="CONNECTION_ID")]) -> None:
    """Remove a connection with its synced issues."""
    from aiops.entrypoints.cli._runtime import actor, open_container

    open_container().remove_tracker()(connection_id, actor())
    print(f"tracker connection {connection_id} removed")


def _sync_pull_requests(app: Container, connection_ids: list[int]) -> int:
    """The pull requests aiops opened on these connections, refreshed (issue 19): their
    state, checks and review; what that queues (comments, reviews) the loop runs."""
    if not connection_ids:
        return 0
    sync = app.sync_pull_requests()
    return sum(int(sync(connection_id)) for connection_id in connection_ids)


def sync_issues(
    project_id: ProjectFilter = None,
    full: Annotated[
        bool, typer.Option("--full", help="List everything, and mark removed issues.")
    ] = False,
    json: Json = False,
) -> None:
    """Sync every tracker connection (or one project's): a line per connection, a summary."""
    from aiops.domain.model.outside_text import for_terminal
    from aiops.domain.usecases.sync_issues import SyncIssuesCommand
    from aiops.entrypoints.cli._runtime import actor, open_container, print_json

    app = open_container()
    cmd = SyncIssuesCommand(project_id=project_id, full=full, actor=actor())
    use_case = app.sync_issues()
    connections = app.list_trackers()(cmd.actor, project_id)
    runs = []
    for connection in connections:
        run = use_case.sync_one(connection, cmd)
        runs.append(run)
        if not json:
            outcome = (
                f"error: {for_terminal(run.error)}"
                if run.error
                else (
                    f"{run.created} created, {run.updated} updated, {run.unchanged} unchanged, "
                    f"{run.removed} removed"
                )
            )
            print(
                f"{connection.provider.value} {connection.key} (#{connection.id}): {outcome} "
                f"[{run.requests} requests, {run.duration_s:.2f} s]",
                file=sys.stderr,
            )
    refreshed = _sync_pull_requests(app, [c.id for c in connections if c.id is not None])
    if refreshed and not json:
        print(f"pull requests: {refreshed} refreshed", file=sys.stderr)
    if json:
        print_json(
            {
                "connection_id": r.connection_id,
                "created": r.created,
                "updated": r.updated,
                "unchanged": r.unchanged,
                "removed": r.removed,
                "requests": r.requests,
                "duration_s": round(r.duration_s, 3),
                "error": r.error,
            }
            for r in runs
        )
    else:
        failed = sum(1 for r in runs if r.error)
        print(f"synced {len(runs)} connections, {failed} failed")
    if any(r.error for r in runs):
        raise typer.Exit(1)
