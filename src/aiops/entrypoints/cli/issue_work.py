"""aiops issue work: start an agent on an issue in its own worktree (issue 19)."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="Work on an issue: its worktree, its agent.", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command()
def work(
    issue_id: Annotated[int, typer.Argument(metavar="ISSUE_ID", help="The issue's id.")],
    user_email: Annotated[str, typer.Option("--user-email", help="Whose agent (their email).")],
    tool: Annotated[str, typer.Option("--tool", help="codex, gemini, claude or shell.")],
    json: Json = False,
) -> None:
    """Make (or reuse) the issue's worktree on aiops/<issue-key-slug>, write the issue into its
    AGENTS.override.md, launch the tool there as the user's Linux account, and set the
    issue's triage to in_progress with the user as owner."""
    from aiops.domain.usecases.issue_work import StartIssueWorkCommand
    from aiops.entrypoints.cli._runtime import actor, open_container, print_object

    app_ = open_container()
    who = actor()
    started = app_.start_issue_work()(
        StartIssueWorkCommand(issue_id=issue_id, tool=tool, user_email=user_email, actor=who)
    )
    s, tree = started.session, started.worktree
    if json:
        from aiops.entrypoints.cli._runtime import jsonable
        from aiops.entrypoints.presenters import session_row

        view, _ = app_.view_session()(s.id or 0, who)
        print_object(
            {
                "session": session_row(view) | {"created": started.created},
                "created": started.created,
                "worktree": {"id": tree.id, "branch": tree.branch, "path": tree.path},
                "issue": jsonable(started.issue),
            }
        )
        return
    verb = "launched" if started.created else "already running, focused"
    print(f"session {s.id}: {s.tool.value} {verb} in {s.target} as {s.linux_user}")
    print(f"worktree {tree.id}: {tree.branch} at {tree.path}")
    print(f"issue {issue_id}: {started.issue.triage.status.value}")
    print(f"attach: {s.attach_command(app_.session_policy().host)}")
