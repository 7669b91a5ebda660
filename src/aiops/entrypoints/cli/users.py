"""aiops user create | set-password | sign-out | sign-in-link | list"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from aiops.config import Settings

app = typer.Typer(help="Users who sign in to aiops.", no_args_is_help=True)


@app.command()
def create(
    email: Annotated[str, typer.Option(help="Sign-in address.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    username: Annotated[
        str | None, typer.Option(help="Workspace name (default: from the email).")
    ] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Make a global admin.")] = False,
    linux_username: Annotated[
        str | None, typer.Option(help="Linux account the user's sessions run as.")
    ] = None,
) -> None:
    """Create a user (set a password with `aiops user set-password`)."""
    from aiops.domain.usecases.users import CreateUserCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    user = open_container().create_user()(
        CreateUserCommand(
            email=email,
            name=name,
            username=username,
            is_admin=admin,
            linux_username=linux_username,
            actor=actor(),
        )
    )
    role = "admin" if user.is_admin else "user"
    print(f"{role} {user.email} created (id {user.id}, username {user.username})")


@app.command("set-password")
def set_password(
    email: Annotated[str, typer.Option(help="The user's email.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set a user's password, read from standard input (never from an argument)."""
    from aiops.domain.usecases.users import SetPasswordCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    if not password_stdin:
        raise typer.BadParameter("pass --password-stdin and the password on standard input")
    password = sys.stdin.readline().rstrip("\r\n")
    user = open_container().set_password()(
        SetPasswordCommand(email=email, password=password, actor=actor())
    )
    print(f"password set for {user.email} (signed out everywhere)")


@app.command("sign-out")
def sign_out(email: Annotated[str, typer.Option(help="The user's email.")]) -> None:
    """Sign a user out everywhere: every session cookie of theirs stops working."""
    from aiops.domain.usecases.auth import SignOutCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    user = open_container().sign_out()(SignOutCommand(email=email, actor=actor()))
    print(f"{user.email} is signed out everywhere")


@app.command("sign-in-link")
def sign_in_link(email: Annotated[str, typer.Option(help="The user's email.")]) -> None:
    """Print a one-time sign-in link for a user (valid 10 minutes, audited): the way in when
    password sign-in is off and the provider cannot help."""
    from aiops.domain.usecases.sign_in_links import CreateSignInLinkCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    container = open_container()
    created = container.create_sign_in_link()(CreateSignInLinkCommand(email=email, actor=actor()))
    print(f"{server_url(container.settings())}/login/link/{created.secret}")
    expires = created.expires_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    print(f"one use, until {expires}, for {created.user.email}", file=sys.stderr)


def server_url(settings: Settings) -> str:
    """The server's base URL: AIOPS_URL, else where `aiops serve` listens."""
    if settings.url:
        return settings.url.rstrip("/")
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"http://{host}:{settings.port}"


@app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array of objects.")] = False,
) -> None:
    """List users."""
    from aiops.entrypoints.cli._runtime import jsonable, open_container, print_json, print_table

    users = open_container().list_users()()
    if as_json:
        print_json(users)
        return
    print_table(
        [jsonable(u) for u in users],
        ["id", "email", "name", "username", "is_admin", "linux_username"],
        empty="no users yet: aiops seed --admin-email E, or aiops user create --email E --name N",
    )
