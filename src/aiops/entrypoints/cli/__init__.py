"""The `aiops` command line (Typer).

Only Typer is imported here; each command imports what it needs when it runs.
Errors a user can fix print one line on stderr and exit 1; usage errors exit 2.
"""

from __future__ import annotations

import os
import sys

import typer

from aiops import __version__
from aiops.entrypoints.cli import (
    agent_context,
    audit,
    automation,
    cli_tools,
    credentials,
    db,
    git,
    identities,
    jobs,
    launcher,
    members,
    projects,
    secrets,
    seed,
    serve,
    sessions,
    tenants,
    tokens,
    trackers,
    users,
)

app = typer.Typer(
    name="aiops",
    help="aiops: git workspaces, issue trackers, AI coding sessions and Ansible, per tenant.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click-style usage errors: one line a script can read
)
app.add_typer(db.app, name="db")
app.add_typer(tenants.app, name="tenant")
app.add_typer(projects.app, name="project")
app.add_typer(users.app, name="user")
app.add_typer(members.app, name="member")
app.add_typer(audit.app, name="audit")
app.add_typer(tokens.app, name="token")
app.add_typer(git.app, name="git")
app.command("init-workspace")(git.init_workspace)
app.add_typer(identities.app, name="identity")
app.add_typer(trackers.app, name="tracker")
app.add_typer(trackers.issues_app, name="issues")
app.command("sync-issues")(trackers.sync_issues)
app.add_typer(secrets.app, name="secrets")
app.add_typer(credentials.app, name="credentials")
app.add_typer(sessions.app, name="session")
app.add_typer(sessions.tmux_app, name="tmux")
app.command("seed")(seed.seed)
app.command("seed-identities")(identities.seed_identities)
app.command("serve")(serve.serve)
app.command("launcher")(launcher.launcher)
app.add_typer(agent_context.app, name="agent-context")
app.add_typer(cli_tools.app, name="cli-tools")
app.add_typer(jobs.app, name="jobs")
app.add_typer(jobs.scheduler_app, name="scheduler")
app.command("run-playbook")(automation.run_playbook)
app.add_typer(automation.playbooks_app, name="playbooks")
app.add_typer(automation.runs_app, name="runs")


@app.command()
def version() -> None:
    """Print the version of aiops."""
    print(f"aiops {__version__}")


def main() -> None:
    from aiops.entrypoints.cli._terminal import install

    install()  # control characters in what is printed arrive as visible escapes
    try:
        app()
    except Exception as error:
        from aiops.domain.model.outside_text import for_terminal
        from aiops.entrypoints.cli._runtime import USER_ERRORS

        if isinstance(error, USER_ERRORS):
            print(f"aiops: error: {for_terminal(str(error))}", file=sys.stderr)
            sys.exit(1)
        if os.environ.get("AIOPS_TRACEBACK"):
            raise
        from aiops.log import scrub

        first_line = (str(error).strip().splitlines() or [""])[0]
        print(
            f"aiops: unexpected error: {type(error).__name__}: {scrub(first_line)} "
            "(set AIOPS_TRACEBACK=1 to see where)",
            file=sys.stderr,
        )
        sys.exit(1)
