"""aiops token create | list | revoke"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

app = typer.Typer(help="Personal access tokens for the JSON API.", no_args_is_help=True)


@app.command()
def create(
    email: Annotated[str, typer.Option(help="Whose token it is.")],
    name: Annotated[str, typer.Option(help="A label, e.g. ci.")] = "token",
) -> None:
    """Create a token and print it once (alone on stdout: TOKEN=$(aiops token create ...))."""
    from aiops.domain.usecases.auth import CreateTokenCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    created = open_container().create_token()(
        CreateTokenCommand(email=email, name=name, actor=actor())
    )
    print(created.secret)
    print(
        f"token {created.token.id} ({created.token.name}) for {email.strip().lower()}: "
        "shown once, store it now",
        file=sys.stderr,
    )


@app.command("list")
def list_(
    email: Annotated[str, typer.Option(help="Whose tokens.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array of objects.")] = False,
) -> None:
    """List a user's tokens (never the secrets)."""
    from aiops.entrypoints.cli._runtime import jsonable, open_container, print_json, print_table

    tokens = open_container().list_tokens()(email)
    rows = [
        {key: value for key, value in jsonable(token).items() if key != "token_hash"}
        for token in tokens
    ]
    if as_json:
        print_json(rows)
        return
    print_table(
        rows,
        ["id", "name", "hint", "created_at", "last_used_at", "revoked_at"],
        empty=f"no tokens: aiops token create --email {email}",
    )


@app.command()
def revoke(token_id: Annotated[int, typer.Argument(metavar="ID", help="The token's id.")]) -> None:
    """Revoke a token: it stops working at once."""
    from aiops.domain.usecases.auth import RevokeTokenCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    token = open_container().revoke_token()(RevokeTokenCommand(token_id=token_id, actor=actor()))
    print(f"token {token.id} ({token.name}) revoked")
