"""The AGENTS.override.md of a workspace: read it, and replace it in one step, as the account
whose workspace it is (`account`; None: the account aiops runs as)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from aiops.ports.linux_users import LinuxAccount


class AgentContextFiles(Protocol):
    def is_workspace(self, account: LinuxAccount | None, path: Path) -> bool:
        """True when `path` is a git work tree (a folder holding `.git`), as `account` sees
        it."""
        ...

    def read(self, account: LinuxAccount | None, path: Path) -> str | None:
        """The file's text (bytes that are not UTF-8 kept as surrogate escapes, line endings
        as they are); None when there is no file. A symlink is refused."""
        ...

    def write(self, account: LinuxAccount | None, path: Path, text: str) -> None:
        """Replace the file atomically, as `account` (a reader sees the old text or the new,
        never half): an existing file keeps its mode; a new one is 0600."""
        ...
