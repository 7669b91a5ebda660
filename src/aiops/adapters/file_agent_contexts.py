"""AGENTS.override.md in a workspace, looked at, read and written as the workspace's Linux
account through the launcher: the kernel checks every step of the path as that account, so a
symlink planted at the workspace or at the file leads only where the account could go anyway.

The file is written beside its name and renamed over it, so a crash or a full disk never
leaves half a file. An existing file keeps its mode; a new one is 0600: the block holds the
issue's description (an incident's details, perhaps), and only the account's own tools read
it, so nobody else needs it even where a workspace is opened to a group.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from aiops.adapters.launching import AccountLauncher, ActFailed
from aiops.domain.errors import DomainError
from aiops.ports.linux_users import LinuxAccount

NEW_FILE_MODE = 0o600
LIMIT = 4 * 1024 * 1024


class FileAgentContexts:
    def __init__(self, launcher: AccountLauncher) -> None:
        self._launcher = launcher

    def is_workspace(self, account: LinuxAccount | None, path: Path) -> bool:
        try:
            found = self._launcher.inspect(account, str(path / ".git"))
        except ActFailed as failed:
            raise DomainError(f"cannot look into {path}: {failed.message}") from None
        return found.path is not None

    def read(self, account: LinuxAccount | None, path: Path) -> str | None:
        try:
            data = self._launcher.read_file(account, str(path), limit=LIMIT)
        except ActFailed as failed:
            raise self._failure(account, path, "read", failed) from None
        return None if data is None else data.decode("utf-8", errors="surrogateescape")

    def write(self, account: LinuxAccount | None, path: Path, text: str) -> None:
        data = text.encode("utf-8", errors="surrogateescape")
        try:
            self._launcher.write_file(account, str(path), data, mode=NEW_FILE_MODE)
        except ActFailed as failed:
            raise self._failure(account, path, "write", failed) from None

    def _failure(
        self, account: LinuxAccount | None, path: Path, verb: str, failed: ActFailed
    ) -> DomainError:
        """What to tell the user: a symlink at the file said plainly, else the system's why."""
        with contextlib.suppress(ActFailed):
            found = self._launcher.inspect(account, str(path)).path
            if found is not None and found.kind == "link":
                return DomainError(f"{path} is a symbolic link: replace it with a file first")
        return DomainError(f"cannot {verb} {path}: {failed.message}")
