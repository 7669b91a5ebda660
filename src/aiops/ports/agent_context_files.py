"""The AGENTS.override.md of a workspace: read it, and replace it in one step."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class AgentContextFiles(Protocol):
    def is_workspace(self, path: Path) -> bool:
        """True when `path` is a git work tree (a folder holding `.git`)."""
        ...

    def read(self, path: Path) -> str | None:
        """The file's text (bytes that are not UTF-8 kept as surrogate escapes, line endings
        as they are); None when there is no file."""
        ...

    def write(self, path: Path, text: str) -> None:
        """Replace the file atomically (a reader sees the old text or the new, never half):
        an existing file keeps its mode and owner; a new one gets 0644 and, when aiops runs
        as root, the owner of the folder it is in."""
        ...
