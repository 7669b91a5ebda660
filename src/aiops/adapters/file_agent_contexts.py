"""AGENTS.override.md on the local filesystem: written to a temporary file beside it, then
renamed over it, so a crash or a full disk never leaves half a file."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from aiops.domain.errors import DomainError

NEW_FILE_MODE = 0o644


class FileAgentContexts:
    def is_workspace(self, path: Path) -> bool:
        return path.is_dir() and (path / ".git").exists()

    def read(self, path: Path) -> str | None:
        _refuse_link(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise DomainError(f"cannot read {path}: {error.strerror}") from None
        return data.decode("utf-8", errors="surrogateescape")

    def write(self, path: Path, text: str) -> None:
        _refuse_link(path)
        data = text.encode("utf-8", errors="surrogateescape")
        mode, owner = _keep(path)
        try:
            descriptor, temporary = tempfile.mkstemp(
                dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
            )
        except OSError as error:
            raise DomainError(f"cannot write in {path.parent}: {error.strerror}") from None
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, mode)
            if owner is not None:
                os.chown(temporary, *owner)
            os.replace(temporary, path)
        except OSError as error:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise DomainError(f"cannot write {path}: {error.strerror}") from None


def _refuse_link(path: Path) -> None:
    """A link could point anywhere (aiops may run as root): never read or replace through one."""
    if path.is_symlink():
        raise DomainError(f"{path} is a symbolic link: replace it with a file first")


def _keep(path: Path) -> tuple[int, tuple[int, int] | None]:
    """The mode and (uid, gid) the new file gets: the existing file's, else 0644 and the
    folder's owner. Owners change only when aiops runs as root, never to root's from a user's."""
    try:
        info = path.stat()
        mode = stat.S_IMODE(info.st_mode)
    except FileNotFoundError:
        info = path.parent.stat()
        mode = NEW_FILE_MODE
    if os.geteuid() != 0:
        return mode, None
    return mode, (info.st_uid, info.st_gid)
