"""aiops member add | list"""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="Who may do what in a tenant.", no_args_is_help=True)


@app.command()
def add(
    tenant: Annotated[str, typer.Option(help="The tenant's slug.")],
    email: Annotated[str, typer.Option(help="The user's email.")],
    role: Annotated[str, typer.Option(help="owner|member|viewer")],
) -> None:
    """Give a user a role in a tenant (replacing any role they had there)."""
    from aiops.domain.usecases.memberships import AddMemberCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    membership = open_container().add_member()(
        AddMemberCommand(tenant=tenant, email=email, role=role, actor=actor())
    )
    print(f"{email.strip().lower()} is {membership.role.value} of tenant {tenant}")


@app.command("list")
def list_(
    tenant: Annotated[str, typer.Option(help="The tenant's slug.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array of objects.")] = False,
) -> None:
    """List a tenant's members and their roles."""
    from aiops.entrypoints.cli._runtime import open_container, print_json, print_table

    members = open_container().list_members()(tenant)
    rows = [
        {"user_id": m.user.id, "email": m.user.email, "name": m.user.name, "role": m.role.value}
        for m in members
    ]
    if as_json:
        print_json(rows)
        return
    print_table(
        rows,
        ["user_id", "email", "name", "role"],
        empty=f"tenant {tenant} has no members: aiops member add --tenant {tenant} --email E "
        "--role R",
    )
