"""The files beside a tmux socket: its folder, private to the account, and the short-lived
secrets file a window reads (and deletes) before its tool starts."""

from __future__ import annotations

import os
import secrets
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiops.domain.model.sessions import SessionRefused
from aiops.ports.linux_users import LinuxAccount


def private_folder(socket: str, account: LinuxAccount, *, switch: bool) -> Path:
    """The socket's folder, 0700 and owned by the account: made when missing; refused when it
    is a symlink or belongs to anyone else (another account could then reach the server)."""
    folder = Path(socket).parent
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=0o700)
        if switch:
            os.chown(folder, account.uid, account.gid)
    except FileExistsError:
        pass
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode):
        raise SessionRefused(f"the tmux socket folder {folder} is not a plain folder")
    if info.st_uid != account.uid:
        raise SessionRefused(f"the tmux socket folder {folder} does not belong to {account.name}")
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(folder, 0o700)
    return folder


SECRETS_PREFIX = ".aiops-env-"
STALE_AFTER = 300  # seconds: a window's wrapper reads its file as it starts


def remove_stale_secrets(folder: Path) -> None:
    """Secrets files no wrapper read (its window's shell failed before it ran) do not stay."""
    cutoff = time.time() - STALE_AFTER
    for path in folder.glob(f"{SECRETS_PREFIX}*"):
        try:
            if path.lstat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            continue


@contextmanager
def secrets_file(
    folder: Path, account: LinuxAccount, text: str, *, switch: bool
) -> Iterator[str | None]:
    """A 0600 file of the account's holding `text`, for the window's wrapper to read and
    delete; deleted here as well if the launch fails before the wrapper ran. None without
    secrets."""
    if not text:
        yield None
        return
    path = folder / f"{SECRETS_PREFIX}{secrets.token_hex(8)}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        if switch:
            os.fchown(fd, account.uid, account.gid)
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    try:
        yield str(path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
