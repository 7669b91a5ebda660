"""aiops tenant create | update | list"""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="Tenants: the teams or customers that own projects.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print a JSON array of objects.")]


@app.command()
def create(
    slug: Annotated[str, typer.Option(help="Lowercase letters, digits and hyphens.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    color: Annotated[
        str, typer.Option("--color", help="#RRGGBB shown on the dashboard.")
    ] = "#3b82f6",
) -> None:
    """Create a tenant."""
    from aiops.domain.usecases.tenants import CreateTenantCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    tenant = open_container().create_tenant()(
        CreateTenantCommand(slug=slug, name=name, color=color, actor=actor())
    )
    print(f"tenant {tenant.slug} created (id {tenant.id})")


@app.command()
def update(
    slug: Annotated[str, typer.Argument(help="The tenant's slug.")],
    name: Annotated[str | None, typer.Option(help="New display name.")] = None,
    color: Annotated[str | None, typer.Option("--color", help="New #RRGGBB colour.")] = None,
) -> None:
    """Change a tenant's name or colour."""
    from aiops.domain.usecases.tenants import UpdateTenantCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    tenant = open_container().update_tenant()(
        UpdateTenantCommand(slug=slug, name=name, color=color, actor=actor())
    )
    print(f"tenant {tenant.slug} updated: name {tenant.name!r}, color {tenant.color}")


@app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """List tenants."""
    from aiops.entrypoints.cli._runtime import jsonable, open_container, print_json, print_table

    tenants = open_container().list_tenants()()
    if as_json:
        print_json(tenants)
        return
    print_table(
        [jsonable(t) for t in tenants],
        ["id", "slug", "name", "color"],
        empty="no tenants yet: aiops tenant create --slug S --name N",
    )
