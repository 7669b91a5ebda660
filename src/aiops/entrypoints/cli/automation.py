"""aiops run-playbook | playbooks list | runs list|show|cancel: Ansible automation."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from aiops.domain.model.automation import AutomationRun, RunEvent

playbooks_app = typer.Typer(help="The allowlisted Ansible playbooks.", no_args_is_help=True)
runs_app = typer.Typer(help="Playbook runs: list, show, cancel.", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def run_json(run: AutomationRun) -> dict[str, Any]:
    from aiops.entrypoints.cli._runtime import jsonable

    return {**jsonable(run), "duration_seconds": run.duration_seconds}


def _extra_vars_text(value: str | None) -> str | None:
    """The text itself, `@path` for a file's content, or `-` for standard input (a file or
    stdin keeps secret values off aiops's own command line)."""
    if value is None:
        return None
    if value == "-":
        return sys.stdin.read()
    if value.startswith("@"):
        from aiops.domain.errors import ValidationError

        try:
            with open(value[1:], encoding="utf-8") as file:
                return file.read(64 * 1024 + 1)
        except OSError as error:
            raise ValidationError(
                "extra_vars", f"cannot read {value[1:][:200]!r}: {error.strerror}"
            ) from None
    return value


def run_playbook(
    name: Annotated[str, typer.Argument(metavar="NAME", help="An allowlisted playbook name.")],
    inventory: Annotated[
        str | None, typer.Option("--inventory", help="An inventory name (default localhost).")
    ] = None,
    limit: Annotated[str | None, typer.Option("--limit", help="A host pattern.")] = None,
    tags: Annotated[str | None, typer.Option("--tags", help="Comma-separated tags.")] = None,
    extra_vars: Annotated[
        str | None,
        typer.Option(
            "--extra-vars",
            help="A JSON object or YAML mapping; @FILE reads it from a file, - from stdin.",
        ),
    ] = None,
    check: Annotated[bool, typer.Option("--check", help="Check mode: change nothing.")] = False,
    secret_var: Annotated[
        list[str] | None,
        typer.Option("--secret-var", help="An extra var to mask (repeatable)."),
    ] = None,
    identity: Annotated[
        str | None, typer.Option("--identity", help="The SSH identity for remote hosts.")
    ] = None,
    json: Json = False,
) -> None:
    """Run a playbook, printing its events as they come; exits with the run's rc."""
    import json as jsonlib

    from aiops.domain.model.automation import RunStatus, playbook_name
    from aiops.domain.usecases.automation import RunPlaybookCommand
    from aiops.entrypoints.cli._runtime import actor, jsonable, open_container

    playbook_name(name)  # a refusal needs no database

    def show(event: RunEvent) -> None:
        if json:
            print(jsonlib.dumps(jsonable(event), ensure_ascii=False), flush=True)
        elif event.stdout:
            print(event.stdout, flush=True)

    cmd = RunPlaybookCommand(
        playbook=name,
        inventory=inventory,
        limit=limit,
        tags=tags,
        check=check,
        extra_vars=_extra_vars_text(extra_vars),
        secret_vars=tuple(secret_var or ()),
        identity=identity,
        actor=actor(),
        wait=True,
        on_event=show,
    )
    try:
        run = open_container().run_playbook()(cmd)
    except KeyboardInterrupt:
        typer.echo("interrupted: the run was cancelled", err=True)
        raise typer.Exit(130) from None
    if json:
        print(jsonlib.dumps(run_json(run), ensure_ascii=False), flush=True)
    else:
        rc = "-" if run.rc is None else run.rc
        typer.echo(f"run {run.id}: {run.status.value} (rc {rc})", err=True)
    code = run.rc if run.rc is not None else 1
    raise typer.Exit(code if run.status is RunStatus.SUCCESSFUL or code else 1)


@playbooks_app.command("list")
def list_playbooks(json: Json = False) -> None:
    """The playbooks that may run, with their descriptions."""
    from aiops.entrypoints.cli._runtime import open_container, print_json, print_table

    playbooks = open_container().list_playbooks()()
    if json:
        print_json(playbooks)
        return
    rows = [{"name": p.name, "description": p.description} for p in playbooks]
    print_table(rows, ["name", "description"], empty="no playbooks (see AIOPS_PLAYBOOKS)")


@runs_app.command("list")
def list_runs(
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50, json: Json = False
) -> None:
    """The newest runs first."""
    from aiops.entrypoints.cli._runtime import open_container, print_object, print_table

    runs = open_container().list_runs()(limit=limit)
    if json:
        print_object([run_json(run) for run in runs])
        return
    rows = [
        {
            "id": r.id,
            "playbook": r.playbook,
            "inventory": r.inventory,
            "status": r.status.value,
            "rc": r.rc,
            "started_by": r.started_by,
            "queued": r.queued_at.strftime("%Y-%m-%d %H:%M:%S"),
            "seconds": None if r.duration_seconds is None else f"{r.duration_seconds:.1f}",
        }
        for r in runs
    ]
    columns = ["id", "playbook", "inventory", "status", "rc", "started_by", "queued", "seconds"]
    print_table(rows, columns, empty="no runs yet")


@runs_app.command("show")
def show_run(
    run_id: Annotated[int, typer.Argument(metavar="RUN_ID")],
    json: Json = False,
) -> None:
    """A run, its per-host summary, and its events (with --json: the run and its events)."""
    from aiops.entrypoints.cli._runtime import jsonable, open_container, print_object

    container = open_container()
    run = container.show_run()(run_id)
    events: list[RunEvent] = []
    after = 0
    while page := container.run_events()(run_id, after_seq=after, limit=5000).events:
        events.extend(page)
        after = page[-1].seq
    if json:
        print_object({**run_json(run), "events": jsonable(events)})
        return
    for event in events:
        if event.stdout:
            print(event.stdout)
    rc = "-" if run.rc is None else run.rc
    print(f"run {run.id}: {run.playbook} on {run.inventory}: {run.status.value} (rc {rc})")
    if run.reason:
        print(f"  {run.reason}")
    for host in run.summary:
        print(
            f"  {host.host}: ok={host.ok} changed={host.changed} failed={host.failed} "
            f"unreachable={host.unreachable} skipped={host.skipped}"
        )


@runs_app.command("cancel")
def cancel_run(run_id: Annotated[int, typer.Argument(metavar="RUN_ID")]) -> None:
    """Stop a run (within about a second, wherever it runs)."""
    from aiops.entrypoints.cli._runtime import actor, open_container

    run = open_container().cancel_run()(run_id, actor=actor())
    typer.echo(f"run {run.id}: cancel requested", err=True)
