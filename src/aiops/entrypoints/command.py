"""The `aiops` executable.

`aiops version` is answered before Typer is imported, so scripts that ask for the version on
every call pay for Python's start-up only; so is `aiops agent-event`, the hook command the AI
tools run on every event (stdlib only: entrypoints/agent_event.py). Everything else goes to
the full command line in `aiops.entrypoints.cli`.
"""

from __future__ import annotations

import sys

from aiops import __version__


def main() -> None:
    if sys.argv[1:2] == ["agent-event"]:
        from aiops.entrypoints.agent_event import main as agent_event  # noqa: PLC0415

        sys.exit(agent_event(sys.argv[2:]))
    if sys.argv[1:] == ["version"]:
        print(f"aiops {__version__}")
        return
    from aiops.entrypoints.cli import main as run_cli  # noqa: PLC0415 - see the docstring

    run_cli()
