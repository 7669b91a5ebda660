"""aiops jobs list | add | run | enable | disable | remove, and aiops scheduler run."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

app = typer.Typer(help="Scheduled jobs.", no_args_is_help=True)
scheduler_app = typer.Typer(help="The job runner.", no_args_is_help=True)

Name = Annotated[str, typer.Argument(metavar="NAME", help="The job's name.")]


@app.command("list")
def list_(json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every job: schedule, next run, last status and duration, and who runs it now."""
    from aiops.entrypoints.cli._runtime import actor, open_container, print_object, print_table
    from aiops.entrypoints.presenters import job_row

    rows = [job_row(job) for job in open_container().list_jobs()(actor())]
    if json:
        print_object(rows)
        return
    for row in rows:
        row["next_run"] = row["next_run"] if row["enabled"] else "disabled"
        row["running_on"] = row["lease_owner"]
        if row["last_duration"] is not None:
            row["last_duration"] = f"{row['last_duration']:.3f} s"
    print_table(
        rows,
        ["name", "kind", "schedule", "next_run", "last_status", "last_duration", "running_on"],
        empty="no jobs: aiops jobs add NAME --kind KIND --every 5m",
    )


@app.command()
def add(
    name: Name,
    kind: Annotated[
        str,
        typer.Option(help="sync-issues, tmux-resync, workspace-fetch or playbook."),
    ],
    every: Annotated[
        str | None, typer.Option(help="An interval: 30s, 5m, 1h30m, 1d (counted in UTC).")
    ] = None,
    cron: Annotated[
        str | None, typer.Option(help='A cron expression, e.g. "*/15 * * * *".')
    ] = None,
    params: Annotated[
        str, typer.Option(help='The kind\'s params as a JSON object, e.g. {"project_id": 2}.')
    ] = "{}",
    timezone: Annotated[
        str | None,
        typer.Option(help="The time zone of --cron (default AIOPS_SCHEDULER_TIMEZONE)."),
    ] = None,
    disabled: Annotated[bool, typer.Option("--disabled", help="Add it disabled.")] = False,
) -> None:
    """Add a job; prints when it runs first."""
    from aiops.domain.usecases.jobs import AddJobCommand, params_from_json
    from aiops.entrypoints.cli._runtime import actor, open_container

    job = open_container().add_job()(
        AddJobCommand(
            name=name,
            kind=kind,
            every=every,
            cron=cron,
            timezone=timezone,
            params=params_from_json(params),
            enabled=not disabled,
            actor=actor(),
        )
    )
    when = "disabled" if not job.enabled else f"next run {job.next_run.isoformat()}"
    print(f"job {job.name}: {job.kind}, {job.schedule.describe()}, {when}")


@app.command()
def run(name: Name) -> None:
    """Run the job now, here, and wait for it (exit 1 when it fails)."""
    from aiops.domain.model.jobs import JobStatus
    from aiops.domain.usecases.jobs import RunJobNowCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    outcome = open_container().run_job_now()(
        RunJobNowCommand(name=name, inline=True, actor=actor())
    )
    assert outcome is not None
    took = f"in {outcome.duration:.3f} s"
    if outcome.status is JobStatus.FAILED:
        print(f"aiops: error: job {name} failed {took}: {outcome.error}", file=sys.stderr)
        raise typer.Exit(1)
    print(f"job {name}: ok {took}" + (f" ({outcome.summary})" if outcome.summary else ""))


@app.command()
def enable(name: Name) -> None:
    """Enable the job; it runs next at its schedule's next time from now."""
    from aiops.entrypoints.cli._runtime import actor, open_container

    job = open_container().enable_job()(name, actor())
    print(f"job {job.name} enabled: next run {job.next_run.isoformat()}")


@app.command()
def disable(name: Name) -> None:
    """Disable the job (a run in progress finishes)."""
    from aiops.entrypoints.cli._runtime import actor, open_container

    job = open_container().disable_job()(name, actor())
    print(f"job {job.name} disabled")


@app.command()
def remove(name: Name) -> None:
    """Remove the job."""
    from aiops.entrypoints.cli._runtime import actor, open_container

    open_container().remove_job()(name, actor())
    print(f"job {name} removed")


@scheduler_app.command("run")
def run_scheduler(
    once: Annotated[bool, typer.Option("--once", help="Run what is due now, then exit.")] = False,
    owner: Annotated[
        str | None, typer.Option(help="This runner's name in leases (default host:pid:random).")
    ] = None,
    poll: Annotated[
        float | None,
        typer.Option(min=0.01, help="Seconds between claims when idle (AIOPS_SCHEDULER_POLL)."),
    ] = None,
    lease: Annotated[
        float | None,
        typer.Option(min=0.3, help="Lease seconds (AIOPS_JOB_LEASE_SECONDS); renewed every third."),
    ] = None,
) -> None:
    """Claim due jobs and run them until SIGTERM or SIGINT (progress on stderr). Any number of
    runners may share the database: each job runs on one at a time."""
    from aiops.entrypoints.cli._runtime import open_container
    from aiops.entrypoints.scheduler import run_in_foreground

    # As root on the service's instance, it runs as the service account (open_container).
    run_in_foreground(open_container(), once=once, owner=owner, poll=poll, lease=lease)
