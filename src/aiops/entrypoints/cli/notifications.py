"""aiops notifications add | list | remove | test"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from aiops.domain.model.notifications import NotificationTarget
    from aiops.domain.usecases.notifications import TargetOwner

app = typer.Typer(
    help="Where notifications go (apprise URLs): your sessions' waits and ends, a tenant's "
    "failed runs, incidents and failed jobs.",
    no_args_is_help=True,
)

UserEmail = Annotated[str | None, typer.Option("--user-email", help="Whose targets.")]
Tenant = Annotated[
    str | None, typer.Option("--tenant", help="A tenant's targets (slug), instead of a user's.")
]
COLUMNS = ["id", "label", "url", "events", "last_result", "last_at", "last_error"]


def _owner(user_email: str | None, tenant: str | None) -> TargetOwner:
    from aiops.domain.usecases.notifications import TargetOwner

    return TargetOwner(user_email=user_email, tenant_slug=tenant)


def target_row(target: NotificationTarget) -> dict[str, Any]:
    """What a person may see of a target: the URL masked, never sealed or plain."""
    from aiops.domain.model.notifications import format_events
    from aiops.entrypoints.cli._runtime import jsonable

    return {
        "id": target.id,
        "label": target.label,
        "url": target.url_masked,
        "events": format_events(target.events),
        "user_id": target.user_id,
        "tenant_id": target.tenant_id,
        "created_at": jsonable(target.created_at),
        "last_result": target.last_result.value if target.last_result else None,
        "last_at": jsonable(target.last_at),
        "last_error": target.last_error,
    }


@app.command()
def add(
    url: Annotated[str, typer.Option(help="An apprise URL, e.g. json://host/path, mailto://...")],
    events: Annotated[
        str,
        typer.Option(
            help="Comma-separated: waiting,finished,failed (a user's); "
            "run-failed,incident,job-failed (a tenant's)."
        ),
    ],
    user_email: UserEmail = None,
    tenant: Tenant = None,
    label: Annotated[str, typer.Option(help="A name for it (default: the masked URL).")] = "",
) -> None:
    """Add a target; prints its id. The URL is sealed with the secret key, shown masked."""
    from aiops.domain.usecases.notifications import AddTargetCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    target = open_container().add_notification_target()(
        AddTargetCommand(
            owner=_owner(user_email, tenant), url=url, events=events, label=label, actor=actor()
        )
    )
    print(target.id)
    print(f"notification target {target.id} ({target.url_masked}) added", file=sys.stderr)


@app.command("list")
def list_(
    user_email: UserEmail = None,
    tenant: Tenant = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array of objects.")] = False,
) -> None:
    """List a user's (or a tenant's) targets, URLs masked, with their last result."""
    from aiops.entrypoints.cli._runtime import open_container, print_object, print_table

    targets = open_container().list_notification_targets()(_owner(user_email, tenant))
    rows = [target_row(target) for target in targets]
    if as_json:
        print_object(rows)
        return
    print_table(rows, COLUMNS, empty="no notification targets: aiops notifications add ...")


@app.command()
def remove(
    target_id: Annotated[int, typer.Argument(metavar="ID", help="The target's id.")],
) -> None:
    """Remove a target and its queued deliveries."""
    from aiops.entrypoints.cli._runtime import actor, open_container

    target = open_container().remove_notification_target()(target_id, actor())
    print(f"notification target {target.id} ({target.url_masked}) removed")


@app.command()
def test(
    target_id: Annotated[int, typer.Argument(metavar="ID", help="The target's id.")],
) -> None:
    """Send a test message to a target now; exit 1 when it failed."""
    from aiops.domain.model.outside_text import for_terminal
    from aiops.entrypoints.cli._runtime import actor, open_container

    container = open_container()
    delivery = container.test_notification_target()(target_id, actor())
    report = container.deliver_notifications()()
    if delivery.id not in report.outcomes:
        print(f"test queued (delivery {delivery.id}): a deliverer sends it shortly")
        return
    error = report.outcomes[delivery.id]
    if error is not None:
        print(f"aiops: error: the test failed: {for_terminal(error)}", file=sys.stderr)
        raise typer.Exit(1)
    print(f"test sent to notification target {target_id}")
