"""aiops secrets rotate-key"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

app = typer.Typer(help="The secret key that seals stored tokens.", no_args_is_help=True)


@app.command("rotate-key")
def rotate_key(
    new_key_stdin: Annotated[
        bool,
        typer.Option(
            "--new-key-stdin",
            help="Read the new key (32+ characters) from stdin instead of generating one. "
            "Required when the key comes from AIOPS_SECRET_KEY.",
        ),
    ] = False,
) -> None:
    """Re-encrypt every stored secret under a new secret key, all or nothing.

    With the key in instance/secret.key, the new key replaces it there. With AIOPS_SECRET_KEY,
    set it to the new key afterwards. Stop the server first and start it again after: a server
    still holding the old key would seal new secrets with it. Signed-in sessions end."""
    from aiops.adapters import secret_key
    from aiops.adapters.fernet_secret_box import FernetSecretBox
    from aiops.entrypoints.cli._runtime import actor, open_container

    container = open_container()
    settings = container.settings()
    from_environment = settings.secret_key is not None
    if from_environment and not new_key_stdin:
        raise typer.BadParameter(
            "the key comes from AIOPS_SECRET_KEY: give the new one with --new-key-stdin",
            param_hint="--new-key-stdin",
        )
    new_key = secret_key.check_length(
        sys.stdin.readline().strip() if new_key_stdin else secret_key.generate(), "the new key"
    )
    current = container.secret_box()
    new_box = FernetSecretBox(new_key)
    if from_environment:
        count = container.rotate_secret_key()(current, new_box, actor())
        print(
            f"re-sealed {count} secrets under the new key: now set AIOPS_SECRET_KEY to it and "
            "start the server (it refuses the old key)",
            file=sys.stderr,
        )
        return
    staged = secret_key.stage(settings.instance_path, new_key)
    try:
        count = container.rotate_secret_key()(current, new_box, actor())
    except BaseException:
        staged.unlink()  # the database still holds the old seals: the old key stays
        raise
    path = secret_key.install(settings.instance_path)
    print(f"re-sealed {count} secrets under a new key, now in {path}", file=sys.stderr)
