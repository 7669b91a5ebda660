"""aiops cli-tools status | install: the AI CLIs (codex, gemini, claude) installed through npm."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="The AI CLIs: installed versions, install or upgrade.", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command()
def status(json: Json = False) -> None:
    """Each AI CLI's npm package, installed version ("-" when not installed) and path."""
    from aiops.entrypoints.cli._runtime import open_container, print_json, print_table

    statuses = open_container(check_schema=False).cli_tools_status()()
    rows = [
        {
            "tool": s.tool.value,
            "package": s.package,
            "installed": s.installed,
            "path": s.path,
            "note": s.note,
        }
        for s in statuses
    ]
    if json:
        print_json(rows)
        return
    print_table(rows, ["tool", "package", "installed", "path"], empty="no installable tools")
    notes = {s.note for s in statuses if s.note}
    for note in sorted(notes):
        typer.echo(f"note: {note}", err=True)


@app.command()
def install(
    tool: Annotated[str, typer.Argument(metavar="codex|gemini|claude")],
) -> None:
    """`npm install -g <package>@latest` for one tool, printing npm's output as it runs; the
    exit code is npm's."""
    from aiops.domain.model.sessions import DEFAULT_TOOLS
    from aiops.domain.usecases.cli_tools import InstallCliToolCommand, package_for
    from aiops.entrypoints.cli._runtime import actor, open_container

    package_for(DEFAULT_TOOLS, tool)  # a refusal needs no database
    cmd = InstallCliToolCommand(
        tool=tool, actor=actor(), on_output=lambda line: print(line, flush=True)
    )
    result = open_container().install_cli_tool()(cmd)
    version = result.version or "not installed"
    typer.echo(f"{result.tool.value} ({result.package}): {version}", err=True)
    raise typer.Exit(result.returncode)
