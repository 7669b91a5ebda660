"""aiops identity add | list, and aiops seed-identities"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="SSH identities: the keys projects reach their remotes with.")
PUBLIC_KEY_FILE_MAX = 16 * 1024 + 2  # a key line and its newline; anything longer is refused


@app.command()
def add(
    name: Annotated[str, typer.Option(help="Lowercase letters, digits, '.', '_' and '-'.")],
    public_key_file: Annotated[
        Path | None, typer.Option(help="A .pub file (one OpenSSH public key line).")
    ] = None,
    public_key: Annotated[
        str | None, typer.Option(help="The public key line itself, instead of a file.")
    ] = None,
) -> None:
    """Add a named public key (its private key stays with the users or their agents)."""
    if (public_key_file is None) == (public_key is None):
        raise typer.BadParameter("give exactly one of --public-key-file or --public-key")
    from aiops.domain.usecases.identities import AddIdentityCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    text = public_key if public_key is not None else _read_key_file(public_key_file)
    identity = open_container().add_identity()(
        AddIdentityCommand(name=name, public_key=text, actor=actor())
    )
    print(f"identity {identity.name} added (id {identity.id}, {identity.fingerprint})")


def _read_key_file(path: Path | None) -> str:
    from aiops.domain.errors import ValidationError

    assert path is not None
    try:
        with path.open("rb") as file:
            data = file.read(PUBLIC_KEY_FILE_MAX + 1)
    except OSError as error:
        raise ValidationError("public_key_file", f"cannot read {path}: {error.strerror}") from None
    if len(data) > PUBLIC_KEY_FILE_MAX:
        raise ValidationError("public_key_file", f"{path} is too large to be a public key")
    return data.decode("utf-8", "replace")


@app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array of objects.")] = False,
) -> None:
    """List identities (with their ids, for `aiops project update --identity-id`)."""
    from aiops.entrypoints.cli._runtime import open_container, print_json, print_table

    listed = open_container().list_identities()()
    rows = [
        {
            "id": item.identity.id,
            "name": item.identity.name,
            "fingerprint": item.identity.fingerprint,
            "private_key": item.identity.has_private_key,
            "owner": item.owner_email,
            "public_key": item.identity.public_key,
            "created_at": item.identity.created_at.isoformat(),
        }
        for item in listed
    ]
    if as_json:
        print_json(rows)
        return
    print_table(
        rows,
        ["id", "name", "fingerprint", "private_key", "owner"],
        empty="no identities yet: aiops identity add --name N --public-key-file F.pub",
    )


def seed_identities(
    owner_email: Annotated[str, typer.Option(help="The user who owns the imported keys.")],
    source: Annotated[Path, typer.Option(help="A folder of private keys (e.g. ~/.ssh).")],
) -> None:
    """Import the private keys of a folder into the instance's keys/ (mode 0600), one identity
    per key file, named after it. Running it again changes nothing. Exits 1 if a file was
    refused (the others are still imported)."""
    from aiops.domain.usecases.identities import SeedIdentitiesCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    result = open_container().seed_identities()(
        SeedIdentitiesCommand(owner_email=owner_email, source_dir=source, actor=actor())
    )
    for line in result.lines:
        print(f"{line.outcome.value}: {line.file}: {line.detail}")
    if not result.lines:
        print(f"no private keys in {source}")
    if result.refused:
        raise typer.Exit(1)
