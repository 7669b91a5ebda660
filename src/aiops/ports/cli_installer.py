"""CliInstaller: which AI CLIs are installed, and installing or upgrading them through npm
(only the packages of the tool allowlist)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

import attrs

from aiops.domain.model.sessions import Tool


@attrs.frozen(kw_only=True)
class CliToolStatus:
    tool: Tool
    package: str
    installed: str | None  # the version, None when not installed
    path: str | None = None
    note: str | None = None  # why the status is unknown (npm missing, unreadable answer)


@attrs.frozen(kw_only=True)
class InstallResult:
    tool: Tool
    package: str
    returncode: int
    version: str | None  # installed afterwards
    output_tail: str  # the last lines of npm's output
    timed_out: bool = False


class CliInstaller(Protocol):
    def status(
        self, packages: Mapping[Tool, str], commands: Mapping[Tool, str] | None = None
    ) -> list[CliToolStatus]:
        """Each tool's installed version; `commands` names the executable looked up on PATH
        for its path (the tool's name by default)."""
        ...

    def install(self, tool: Tool, package: str, on_output: Callable[[str], None]) -> InstallResult:
        """`npm install -g <package>@latest`, each output line passed to `on_output` as it
        comes."""
        ...
