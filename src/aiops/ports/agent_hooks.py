"""Writing a tool's own hook configuration into the account's HOME, so that the tool tells
aiops what it does (issue 18): Claude Code's hooks, Codex's `notify`, Gemini CLI's hooks.

Done as the account (through the launcher), merged into what the user has: nothing of theirs
is overwritten or lost.
"""

from __future__ import annotations

from typing import Protocol

from aiops.domain.model.sessions import Tool
from aiops.ports.linux_users import LinuxAccount


class AgentHooks(Protocol):
    def install(self, tool: Tool, account: LinuxAccount, config_dir: str) -> bool:
        """Make the tool's settings under `config_dir` (absolute, in the account's HOME) call
        `aiops agent-event` for the events aiops follows, keeping every setting already there.
        True when the tool will report through hooks; False when this tool (or its installed
        version) has none, and its status comes from the pane. Raises SessionRefused with a
        line the user can act on when the file cannot be read or written (e.g. not JSON)."""
        ...
