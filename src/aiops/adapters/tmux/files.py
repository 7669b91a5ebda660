"""The files beside a tmux socket: its folder, private to the account, and the short-lived
secrets file a window reads (and deletes) before its tool starts.

All of it is done as the account, through the launcher: the folder is made by the account in
AIOPS_TMUX_TMPDIR (which must let it, as /tmp does), the secrets file written by it, stale ones
removed by it (`find ... -delete`, the one program the launcher runs for this). Nothing here is
created as root and handed over, so a symlink or a folder the account planted can only lead
to what the account could reach anyway.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import PurePosixPath

from aiops.adapters.launching import AccountLauncher, ActFailed
from aiops.domain.errors import AccountRefused
from aiops.domain.model.sessions import SessionRefused
from aiops.ports.linux_users import LinuxAccount

SECRETS_PREFIX = ".aiops-env-"
STALE_MINUTES = 5  # a window's wrapper reads its file as it starts


def private_folder(launcher: AccountLauncher, socket: str, account: LinuxAccount) -> str:
    """The socket's folder, 0700 and the account's: made by the account when missing; refused
    when it is a symlink or someone else's (another account could then reach the server)."""
    folder = str(PurePosixPath(socket).parent)
    try:
        launcher.make_dir(account, folder, mode=0o700)
    except ActFailed as failed:
        raise SessionRefused(
            f"the tmux socket folder {folder} is not usable by {account.name}: {failed.message} "
            "(AIOPS_TMUX_TMPDIR must exist and let each account make its folder, as /tmp does)"
        ) from None
    except AccountRefused as refused:
        raise SessionRefused(f"tmux for {account.name}: {refused.message}") from None
    return folder


def remove_stale_secrets(launcher: AccountLauncher, folder: str, account: LinuxAccount) -> None:
    """Secrets files no wrapper read (its window's shell failed before it ran) do not stay:
    each launch with secrets removes those older than a few minutes. Left for the next one
    when `find` fails: they are the account's own, in its own folder."""
    launcher.run(
        account,
        "find",
        [folder, "-maxdepth", "1", "-type", "f", "-name", f"{SECRETS_PREFIX}*",
         "-mmin", f"+{STALE_MINUTES}", "-delete"],
        cwd="/",
    )  # fmt: skip


@contextmanager
def secrets_file(
    launcher: AccountLauncher, folder: str, account: LinuxAccount, text: str
) -> Iterator[str | None]:
    """A new 0600 file of the account's holding `text`, for the window's wrapper to read and
    delete; deleted here as well if the launch fails before the wrapper ran. None without
    secrets. The text goes to the launcher as data, never in a command line."""
    if not text:
        yield None
        return
    remove_stale_secrets(launcher, folder, account)
    path = f"{folder}/{SECRETS_PREFIX}{secrets.token_hex(8)}"
    try:
        launcher.write_file(account, path, text.encode(), mode=0o600, exclusive=True)
    except ActFailed as failed:
        raise SessionRefused(f"could not hand the secrets over: {failed.message}") from None
    try:
        yield path
    except BaseException:
        launcher.run(account, "find", [path, "-maxdepth", "0", "-type", "f", "-delete"], cwd="/")
        raise
