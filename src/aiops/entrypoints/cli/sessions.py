"""aiops session launch | list | share | stop | attach, and aiops tmux resync."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="AI coding sessions in tmux.", no_args_is_help=True)
tmux_app = typer.Typer(help="The tmux servers sessions run in.", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command()
def launch(
    user_email: Annotated[str, typer.Option("--user-email", help="Whose session it is.")],
    project_id: Annotated[int, typer.Option("--project-id", help="The project's id.")],
    tool: Annotated[str, typer.Option(help="codex, gemini, claude or shell.")],
    issue_id: Annotated[
        int | None,
        typer.Option(
            "--issue-id",
            help="An issue: the agent runs in its worktree (made on first launch), primed with it.",
        ),
    ] = None,
    json: Json = False,
) -> None:
    """Start a tool in tmux as the user's Linux account, in their workspace (a running one is
    focused instead)."""
    from aiops.domain.usecases.sessions import LaunchSessionCommand
    from aiops.entrypoints.cli._runtime import actor, open_container, print_object

    app_ = open_container()
    result = app_.launch_session()(
        LaunchSessionCommand(
            project_id=project_id,
            tool=tool,
            user_email=user_email,
            issue_id=issue_id,
            actor=actor(),
        )
    )
    s = result.session
    attach = s.attach_command(app_.session_policy().host)
    if json:
        print_object({"id": s.id, "created": result.created, "tmux_session": s.tmux_session,
                      "tmux_window": s.tmux_window, "linux_user": s.linux_user,
                      "tmux_socket": s.tmux_socket, "attach": attach})  # fmt: skip
        return
    verb = "launched" if result.created else "already running, focused"
    print(f"session {s.id}: {s.tool.value} {verb} in {s.target} as {s.linux_user}")
    print(f"attach: {attach}")


@app.command("list")
def list_(
    project_id: Annotated[
        int | None, typer.Option("--project-id", help="Only this project.")
    ] = None,
    json: Json = False,
) -> None:
    """The live sessions with their status (working, waiting, finished, idle, exited, failed),
    since when and from where (the tool's hook or its pane)."""
    from aiops.entrypoints.cli._runtime import actor, open_container, print_json, print_table
    from aiops.entrypoints.presenters import session_row

    rows = [session_row(view) for view in open_container().list_sessions()(actor(), project_id)]
    if json:
        print_json(rows)
        return
    print_table(
        rows,
        ["id", "project_id", "tool", "linux_user", "tmux_session", "tmux_window", "status",
         "status_since", "status_source", "last_activity"],
        empty="no live sessions: aiops session launch --user-email E --project-id N --tool T",
    )  # fmt: skip


@app.command()
def events(
    session_id: Annotated[int, typer.Argument(metavar="SESSION_ID")],
    json: Json = False,
) -> None:
    """The session's status transitions, newest first: each status, when it began, its source
    (hook or pane) and the event behind it."""
    from aiops.entrypoints.cli._runtime import actor, open_container, print_json, print_table
    from aiops.entrypoints.presenters import agent_event_row

    listed = open_container().list_session_events()(session_id, actor())
    rows = [agent_event_row(event) for event in listed]
    if json:
        print_json(rows)
        return
    print_table(rows, ["at", "status", "source", "event"], empty="no status transitions yet")


@app.command()
def stop(session_id: Annotated[int, typer.Argument(metavar="SESSION_ID")]) -> None:
    """Close the session's tmux window (the tool is ended) and record it as exited."""
    from aiops.entrypoints.cli._runtime import actor, open_container

    stopped = open_container().stop_session()(session_id, actor())
    print(f"session {stopped.id} stopped ({stopped.target})")


@app.command()
def share(
    session_id: Annotated[int, typer.Argument(metavar="SESSION_ID")],
    on: Annotated[
        bool,
        typer.Option(
            "--on/--off", help="Let the tenant's members watch its terminal (read-only), or not."
        ),
    ],
) -> None:
    """Share a session's terminal with its tenant's members (read-only), or stop sharing it."""
    from aiops.domain.usecases.terminals import ShareSessionCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    cmd = ShareSessionCommand(session_id=session_id, shared=on, actor=actor())
    session = open_container().share_session()(cmd)
    said = "shared: its tenant's members may watch it" if session.shared else "not shared"
    print(f"session {session.id} {said}")


@app.command()
def attach(session_id: Annotated[int, typer.Argument(metavar="SESSION_ID")]) -> None:
    """Attach this terminal to the session's tmux window, as its Linux account (for admins on
    the host; audited like the browser's terminal). Detach with tmux's prefix, then d."""
    from aiops.domain.usecases.terminals import OpenTerminalCommand
    from aiops.entrypoints.cli._attach import local_size, relay
    from aiops.entrypoints.cli._runtime import actor, open_container

    app_ = open_container()
    who = actor()
    grant = app_.open_terminal()(OpenTerminalCommand(session_id=session_id, actor=who, via="cli"))
    try:
        cols, rows = local_size(1)
        client = app_.terminals().attach(
            grant.server, grant.session, grant.window, read_only=grant.read_only, cols=cols,
            rows=rows,
        )  # fmt: skip
        try:
            relay(client)
        finally:
            client.close()
    finally:
        app_.close_terminal()(grant, who, "cli")


@tmux_app.command()
def resync(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say what would be done.")
    ] = False,
) -> None:
    """Recreate missing windows of recorded sessions; prune -p<ID> sessions of deleted
    projects."""
    from aiops.entrypoints.cli._runtime import actor, open_container

    report = open_container().resync_tmux()(dry_run=dry_run, actor=actor())
    would = "would " if dry_run else ""
    for target in report.recreated:
        print(f"{would}recreate {target}")
    for name in report.pruned:
        print(f"{would}prune {name}")
    for target in report.exited:
        print(f"could not recreate {target}: marked exited")
    if not (report.recreated or report.pruned or report.exited):
        print("nothing to do: every recorded window is there and no orphan session is left")
