"""Fakes of the AGENTS.override.md files port (ports/agent_context_files.py)."""

from __future__ import annotations

from pathlib import Path

from aiops.ports.agent_context_files import AgentContextFiles
from aiops.ports.linux_users import LinuxAccount


class FakeAgentContextFiles:
    """AGENTS.override.md files by path, in workspaces (folders) the test declares;
    `written_as` records which account wrote each file (None: aiops's own)."""

    def __init__(self, *workspaces: Path) -> None:
        self.workspaces = set(workspaces)
        self.files: dict[Path, str] = {}
        self.written_as: dict[Path, str | None] = {}
        self.writes = 0

    def is_workspace(self, account: LinuxAccount | None, path: Path) -> bool:
        return path in self.workspaces

    def read(self, account: LinuxAccount | None, path: Path) -> str | None:
        return self.files.get(path)

    def write(self, account: LinuxAccount | None, path: Path, text: str) -> None:
        assert path.parent in self.workspaces, f"{path} is outside every workspace"
        self.files[path] = text
        self.written_as[path] = account.name if account else None
        self.writes += 1


class OwnAccountAgentContexts:
    """The real AGENTS.override.md adapter, acting as aiops's own account whoever the
    workspace's is: for tests whose accounts are FakeLinuxUsers' (no launcher can become
    them) and whose workspaces aiops made itself."""

    def __init__(self, files: AgentContextFiles) -> None:
        self.files = files

    def is_workspace(self, account: LinuxAccount | None, path: Path) -> bool:
        return self.files.is_workspace(None, path)

    def read(self, account: LinuxAccount | None, path: Path) -> str | None:
        return self.files.read(None, path)

    def write(self, account: LinuxAccount | None, path: Path, text: str) -> None:
        self.files.write(None, path, text)
