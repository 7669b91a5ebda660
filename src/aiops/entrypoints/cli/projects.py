"""aiops project create | update | list"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

app = typer.Typer(help="Projects: a tenant's git repositories.", no_args_is_help=True)

TokenStdin = Annotated[
    bool,
    typer.Option(
        "--https-token-stdin",
        help="Read the git remote's https token from the first line of standard input "
        "(never an argument: it would land in the shell history).",
    ),
]


CloneFilterOption = Annotated[
    str | None,
    typer.Option(
        help="How new workspaces are cloned: 'none' (every file) or 'blob:none' (a partial "
        "clone: file contents fetched when first needed)."
    ),
]
CloneDepthOption = Annotated[
    int | None,
    typer.Option(help="Commits of history a new workspace takes per branch (0: all of it)."),
]


def _read_token(from_stdin: bool) -> str | None:
    """The token on stdin's first line (its line break removed), when asked for."""
    if not from_stdin:
        return None
    return sys.stdin.readline().rstrip("\r\n")


@app.command()
def create(
    tenant: Annotated[str, typer.Option(help="Slug of the owning tenant.")],
    slug: Annotated[str, typer.Option(help="Lowercase letters, digits and hyphens.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    repo_url: Annotated[str | None, typer.Option(help="Git remote to clone.")] = None,
    default_branch: Annotated[str, typer.Option(help="Branch new workspaces start on.")] = "main",
    identity_id: Annotated[
        int | None, typer.Option(help="SSH identity for the remote (aiops identity list).")
    ] = None,
    https_token_stdin: TokenStdin = False,
    clone_filter: CloneFilterOption = None,
    clone_depth: CloneDepthOption = None,
) -> None:
    """Create a project in a tenant."""
    from aiops.domain.usecases.projects import CreateProjectCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    project = open_container().create_project()(
        CreateProjectCommand(
            tenant=tenant,
            slug=slug,
            name=name,
            repo_url=repo_url,
            default_branch=default_branch,
            identity_id=identity_id,
            https_token=_read_token(https_token_stdin),
            clone_filter=clone_filter or "none",
            clone_depth=clone_depth or 0,
            actor=actor(),
        )
    )
    print(f"project {project.slug} created in tenant {tenant} (id {project.id})")


@app.command()
def update(
    project_id: Annotated[int, typer.Argument(metavar="ID", help="The project's id.")],
    name: Annotated[str | None, typer.Option(help="New display name.")] = None,
    repo_url: Annotated[str | None, typer.Option(help="New git remote ('' removes it).")] = None,
    default_branch: Annotated[str | None, typer.Option(help="New default branch.")] = None,
    identity_id: Annotated[int | None, typer.Option(help="New SSH identity (its id).")] = None,
    clear_identity: Annotated[
        bool, typer.Option("--clear-identity", help="Remove the SSH identity.")
    ] = False,
    https_token_stdin: TokenStdin = False,
    clear_https_token: Annotated[
        bool, typer.Option("--clear-https-token", help="Remove the https token.")
    ] = False,
    clone_filter: CloneFilterOption = None,
    clone_depth: CloneDepthOption = None,
    auto_pull_request: Annotated[
        bool | None,
        typer.Option(
            "--auto-pull-request/--no-auto-pull-request",
            help="Open the pull request when an issue's agent finishes with new commits.",
        ),
    ] = None,
    auto_review_to_agent: Annotated[
        bool | None,
        typer.Option(
            "--auto-review-to-agent/--no-auto-review-to-agent",
            help="Send a 'changes requested' review back to the issue's agent.",
        ),
    ] = None,
) -> None:
    """Change a project's name, remote, default branch, SSH identity, https token, how new
    workspaces are cloned (existing workspaces stay as they are) or the issue-to-pull-request
    loop's automatic steps."""
    from aiops.domain.usecases.projects import UpdateProjectCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    update = open_container().update_project()(
        UpdateProjectCommand(
            project_id=project_id,
            name=name,
            repo_url=repo_url,
            default_branch=default_branch,
            identity_id=identity_id,
            clear_identity=clear_identity,
            https_token=_read_token(https_token_stdin),
            clear_https_token=clear_https_token,
            clone_filter=clone_filter,
            clone_depth=clone_depth,
            auto_pull_request=auto_pull_request,
            auto_review_to_agent=auto_review_to_agent,
            actor=actor(),
        )
    )
    project = update.project
    cleared = (
        f"; cleared {' and '.join(update.cleared)} (the remote changed)" if update.cleared else ""
    )
    print(f"project {project.id} updated: {project.slug} ({project.name}){cleared}")


@app.command("list")
def list_(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's projects.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array of objects.")] = False,
) -> None:
    """List projects (with their ids)."""
    from aiops.domain.usecases.projects import ListProjectsQuery
    from aiops.entrypoints.cli._runtime import jsonable, open_container, print_json, print_table

    projects = open_container().list_projects()(ListProjectsQuery(tenant=tenant))
    if as_json:
        print_json(projects)
        return
    print_table(
        [jsonable(p) for p in projects],
        [
            "id",
            "tenant_id",
            "slug",
            "name",
            "default_branch",
            "repo_url",
            "identity_id",
            "has_https_token",
            "clone_filter",
            "clone_depth",
            "auto_pull_request",
            "auto_review_to_agent",
        ],
        empty="no projects yet: aiops project create --tenant T --slug S --name N",
    )
