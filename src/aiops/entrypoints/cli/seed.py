"""aiops seed"""

from __future__ import annotations

from typing import Annotated

import typer


def seed(
    admin_email: Annotated[
        str | None, typer.Option(help="The admin's email (default: AIOPS_ADMIN_EMAIL).")
    ] = None,
) -> None:
    """Create the admin, a default tenant and project. Running it again changes nothing."""
    from aiops.domain.usecases.seed import SeedCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    container = open_container()
    email = admin_email or container.settings().admin_email
    result = container.seed_defaults()(SeedCommand(admin_email=email, actor=actor()))
    if result.one_time_password is not None:
        print(f"admin {result.admin.email} created")
        print(f"  sign in with: {result.admin.email} / {result.one_time_password}")
        print(
            "  (shown once; change it with `aiops user set-password --email ... --password-stdin`)"
        )
    else:
        print(f"admin {result.admin.email} exists (password unchanged)")
    print(f"seed: {', '.join(result.created) if result.created else 'nothing to change'}")
