"""LauncherAgentHooks: the tools' own hook configuration written into the account's HOME, as
the account, through the launcher (issue 18).

- Claude Code: `<config_dir>/settings.json` (CLAUDE_CONFIG_DIR, ~/.claude): a command hook on
  SessionStart, UserPromptSubmit, Notification, Stop and SessionEnd.
- Codex: `<config_dir>/config.toml` (CODEX_HOME, ~/.codex): `notify`, chaining the user's own.
- Gemini CLI: `<config_dir>/settings.json` (~/.gemini): its hooks, when the installed version
  has them (0.26.0 and later); else False, and the pane tells the status.

Each file is read and written by the account itself: a symlink or a folder the user planted
leads only where the account could write anyway; the file keeps its mode (a new one is 0600).
A file the tool could not read either refuses the launch, naming the file; it is never
rewritten. Nothing is written when the file says what it should already.
"""

from __future__ import annotations

from collections.abc import Callable

from aiops.adapters.agent_hooks.merging import (
    UnreadableSettings,
    claude_settings,
    codex_config,
    gemini_settings,
)
from aiops.adapters.agent_hooks.versions import at_least, installed_version
from aiops.adapters.launching import AccountLauncher, ActFailed, LauncherUnavailable
from aiops.domain.errors import AccountRefused
from aiops.domain.model.sessions import SessionRefused, Tool
from aiops.ports.linux_users import LinuxAccount

__all__ = ["GEMINI_HOOKS_SINCE", "LauncherAgentHooks", "gemini_version"]

GEMINI_HOOKS_SINCE = (0, 26, 0)  # hooks on by default, `hooks` holding only the events
NEW_FILE_MODE = 0o600
MAX_BYTES = 1024 * 1024

_FILES: dict[Tool, tuple[str, Callable[[str | None, str], str]]] = {
    Tool.CLAUDE: ("settings.json", claude_settings),
    Tool.CODEX: ("config.toml", codex_config),
    Tool.GEMINI: ("settings.json", gemini_settings),
}


def gemini_version() -> str | None:
    """The Gemini CLI on this host's PATH (the one sessions start)."""
    return installed_version("gemini", "@google/gemini-cli")


class LauncherAgentHooks:
    def __init__(
        self,
        *,
        launcher: AccountLauncher,
        command: str,
        gemini_version: Callable[[], str | None] = gemini_version,
    ) -> None:
        self._launcher = launcher
        self._command = command  # AIOPS_HOOK_COMMAND: what the hooks run
        self._gemini_version = gemini_version

    def install(self, tool: Tool, account: LinuxAccount, config_dir: str) -> bool:
        if tool not in _FILES:
            return False
        if tool is Tool.GEMINI and not at_least(self._gemini_version(), GEMINI_HOOKS_SINCE):
            return False
        name, merge = _FILES[tool]
        path = f"{config_dir.rstrip('/')}/{name}"
        try:
            self._folder(account, config_dir)
            current = self._launcher.read_file(account, path, limit=MAX_BYTES)
            text = None if current is None else current.decode("utf-8")
            wanted = merge(text, self._command)
            if wanted != text:
                self._launcher.write_file(account, path, wanted.encode(), mode=NEW_FILE_MODE)
        except UnicodeDecodeError:
            raise SessionRefused(_refusal(tool, path, "it is not UTF-8 text")) from None
        except UnreadableSettings as error:
            raise SessionRefused(_refusal(tool, path, str(error))) from None
        except (ActFailed, AccountRefused, LauncherUnavailable) as error:
            raise SessionRefused(
                f"cannot set up {tool.value}'s hooks in {path} as {account.name}: {error.message}"
            ) from None
        return True

    def _folder(self, account: LinuxAccount, config_dir: str) -> None:
        """The tool's folder, made (0700) when missing; one the user has keeps its mode."""
        found = self._launcher.inspect(account, config_dir).path
        if found is None:
            self._launcher.make_dir(account, config_dir, mode=0o700, parents=True)
        elif found.kind != "dir":
            raise ActFailed(f"{config_dir} is not a folder (a symlink?)")


def _refusal(tool: Tool, path: str, why: str) -> str:
    return (
        f"{path} cannot be read as {tool.value}'s settings: {why}; fix or remove it, then "
        "launch again (aiops leaves it as it is)"
    )
