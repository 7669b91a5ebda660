"""The `aiops` command line (Typer).

Only Typer is imported here, and only the command asked for is built: `aiops tenant list`
builds the tenant group alone (Typer builds a parser for every command it is given, about a
millisecond each). `aiops --help`, and a name that is not a command, get the list of names
with their help. Each command imports what it needs when it runs (docs/adr/0002-fast-cli-start.md).
Errors a user can fix print one line on stderr and exit 1; usage errors exit 2.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib import import_module
from typing import Any

import typer

from aiops import __version__

# The top-level names, in the order `aiops --help` lists them: a group (a module's Typer) or
# a command (a module's function), each as (module in this package, attribute, is_group).
TREE: dict[str, tuple[str, str, bool]] = {
    "db": ("db", "app", True),
    "tenant": ("tenants", "app", True),
    "project": ("projects", "app", True),
    "user": ("users", "app", True),
    "member": ("members", "app", True),
    "audit": ("audit", "app", True),
    "token": ("tokens", "app", True),
    "git": ("git", "app", True),
    "init-workspace": ("git", "init_workspace", False),
    "identity": ("identities", "app", True),
    "tracker": ("trackers", "app", True),
    "issues": ("issues", "app", True),
    "issue": ("issue_work", "app", True),
    "sync-issues": ("trackers", "sync_issues", False),
    "secrets": ("secrets", "app", True),
    "credentials": ("credentials", "app", True),
    "session": ("sessions", "app", True),
    "tmux": ("sessions", "tmux_app", True),
    "seed": ("seed", "seed", False),
    "seed-identities": ("identities", "seed_identities", False),
    "serve": ("serve", "serve", False),
    "launcher": ("launcher", "launcher", False),
    "agent-context": ("agent_context", "app", True),
    "cli-tools": ("cli_tools", "app", True),
    "jobs": ("jobs", "app", True),
    "scheduler": ("jobs", "scheduler_app", True),
    "run-playbook": ("automation", "run_playbook", False),
    "playbooks": ("automation", "playbooks_app", True),
    "runs": ("automation", "runs_app", True),
    "worktree": ("worktrees", "app", True),
    "pr": ("pull_requests", "app", True),
    "notifications": ("notifications", "app", True),
}


def version() -> None:
    """Print the version of aiops."""
    print(f"aiops {__version__}")


def _named(target: Any, is_group: bool) -> Any:
    """A stand-in with the help of `target` and no commands or parameters: `aiops --help`
    lists the names, and building ~70 commands' parameters would double its time."""
    if is_group:
        return typer.Typer(help=target.info.help)

    def command() -> None:
        raise AssertionError("never run: the real command is built when it is named")

    command.__doc__ = target.__doc__
    return command


def build(args: Sequence[str] = ()) -> typer.Typer:
    """The command line for `args`: the one top-level name they start with, else all of them."""
    app = typer.Typer(
        name="aiops",
        help="aiops: git workspaces, issue trackers, AI coding sessions and Ansible, per tenant.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,  # plain click-style usage errors: one line a script can read
    )
    first = args[0] if args else None
    for name in [first] if first in TREE else list(TREE):
        module, attribute, is_group = TREE[name]
        target = getattr(import_module(f"{__name__}.{module}"), attribute)
        if first not in TREE:  # the list of names only: their help, not their parameters
            target = _named(target, is_group)
        if is_group:
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)
    app.command()(version)  # always there: with one command, Typer would drop the group name
    return app


def main() -> None:
    from aiops.entrypoints.cli._terminal import install

    install()  # control characters in what is printed arrive as visible escapes
    try:
        build(sys.argv[1:])()
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
