"""aiops credentials set | list: users' credentials for Codex, Gemini CLI and Claude Code.

What is saved never comes back: `list` shows when and a fingerprint, `set` the same."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

READ_AT_MOST = 64 * 1024 + 1  # one byte past the domain's limit (MAX_BYTES), to refuse more
app = typer.Typer(
    help="Users' credentials for the AI tools (Codex, Gemini CLI, Claude Code).",
    no_args_is_help=True,
)


@app.command("set")
def set_(
    user_email: Annotated[str, typer.Option("--user-email", help="Whose credentials.")],
    tool: Annotated[str, typer.Option(help="codex, gemini or claude.")],
    file: Annotated[
        list[Path] | None,
        typer.Option(
            "--file",
            help="A credentials file, named as the tool names it: codex auth.json; gemini "
            "oauth_creds.json and google_accounts.json (repeat --file); claude a file holding "
            "the sk-ant-... key.",
        ),
    ] = None,
    stdin: Annotated[
        bool,
        typer.Option(
            "--stdin",
            help="Read the tool's main file from standard input (codex auth.json, gemini "
            "oauth_creds.json, claude the key).",
        ),
    ] = False,
) -> None:
    """Check and save a user's credentials, and copy them into the tool's folder in their HOME."""
    if bool(file) == stdin:
        raise typer.BadParameter("give --file F (one or more) or --stdin")
    from aiops.domain.model.credentials import file_name_for, kind_of
    from aiops.domain.usecases.credentials import SetCredentialsCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    kind = kind_of(tool)
    if stdin:
        files = {kind.main: sys.stdin.buffer.read(READ_AT_MOST)}
    else:
        files = {file_name_for(kind.tool, path.name): _read(path) for path in file or ()}
    saved = open_container().set_credentials()(
        SetCredentialsCommand(tool=kind.tool, files=files, user_email=user_email, actor=actor())
    )
    info = saved.info
    where = f"; copied into {saved.mirrored_to}" if saved.mirrored_to else ""
    print(
        f"{info.tool.value} credentials saved for {saved.user.email} "
        f"({', '.join(info.files)}), fingerprint {info.fingerprint}{where}"
    )
    if saved.mirror_error:
        print(f"aiops: warning: not copied into HOME: {saved.mirror_error}", file=sys.stderr)
    elif saved.account is None:
        print(
            f"aiops: note: {saved.user.email} has no Linux account here: the files stay with "
            "aiops until one exists (they are copied at every launch)",
            file=sys.stderr,
        )


def _read(path: Path) -> bytes:
    """Enough of the file for the size check to refuse one that is too large."""
    from aiops.domain.errors import ValidationError

    try:
        with path.open("rb") as handle:
            return handle.read(READ_AT_MOST)
    except OSError as error:
        raise ValidationError("file", f"cannot read {path}: {error.strerror}") from None


@app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array of objects.")] = False,
) -> None:
    """Who has credentials saved for which tool: when, and a fingerprint (never the content)."""
    from aiops.entrypoints.cli._runtime import actor, open_container, print_json, print_table

    overview = open_container().list_credentials()(actor())
    rows = [
        {
            "tool": tool.value,
            "user": saved.user.email,
            "files": ",".join(saved.info.files),
            "saved_at": saved.info.saved_at.isoformat(timespec="seconds"),
            "fingerprint": saved.info.fingerprint,
        }
        for tool, entries in overview.saved.items()
        for saved in entries
    ]
    if as_json:
        print_json(rows)
        return
    print_table(
        rows,
        ["tool", "user", "files", "saved_at", "fingerprint"],
        empty="no credentials saved yet: aiops credentials set --user-email E --tool T --file F",
    )
