"""aiops audit list"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

app = typer.Typer(help="The audit trail: who did what, where and when.", no_args_is_help=True)


@app.command("list")
def list_(
    actor: Annotated[str | None, typer.Option(help="e.g. cli:root or ivo@example.com")] = None,
    tenant: Annotated[str | None, typer.Option(help="Tenant slug.")] = None,
    action: Annotated[str | None, typer.Option(help="e.g. tenant.created")] = None,
    since: Annotated[datetime | None, typer.Option(help="ISO time (UTC when no zone).")] = None,
    until: Annotated[datetime | None, typer.Option(help="ISO time (UTC when no zone).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array of objects.")] = False,
) -> None:
    """List audit events, newest first."""
    from datetime import UTC

    from aiops.entrypoints.cli._runtime import jsonable, open_container, print_json, print_table
    from aiops.ports.unit_of_work import AuditQuery

    def utc(moment: datetime | None) -> datetime | None:
        if moment is None or moment.tzinfo is not None:
            return moment
        return moment.replace(tzinfo=UTC)

    query = AuditQuery(
        actor=actor, tenant=tenant, action=action, since=utc(since), until=utc(until), limit=limit
    )
    events = open_container().list_audit_events()(query)
    if as_json:
        print_json(events)
        return
    rows = []
    for event in events:
        row = jsonable(event)
        row["detail"] = " ".join(f"{k}={v}" for k, v in event.detail.items() if v is not None)
        rows.append(row)
    print_table(
        rows,
        ["id", "at", "actor", "tenant", "action", "target", "detail"],
        empty="no audit events match",
    )
