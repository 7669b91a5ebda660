"""A fake of the AI CLI installer (ports/cli_installer.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from aiops.domain.model.sessions import Tool
from aiops.ports.cli_installer import CliToolStatus, InstallResult


class FakeCliInstaller:
    """Installed versions by package; `installs` records each package asked for. A package's
    event in `gates` holds its install until the test sets it (to overlap two installs)."""

    def __init__(self, returncode: int = 0, version: str = "1.0.0") -> None:
        self.versions: dict[str, str] = {}
        self.installs: list[str] = []
        self.returncode = returncode
        self.version = version
        self.gates: dict[str, threading.Event] = {}
        self.started = threading.Event()

    def status(
        self, packages: Mapping[Tool, str], commands: Mapping[Tool, str] | None = None
    ) -> list[CliToolStatus]:
        return [
            CliToolStatus(tool=tool, package=package, installed=self.versions.get(package))
            for tool, package in packages.items()
        ]

    def install(self, tool: Tool, package: str, on_output: Callable[[str], None]) -> InstallResult:
        self.installs.append(package)
        self.started.set()
        on_output(f"added 1 package: {package}")
        if package in self.gates:
            self.gates[package].wait(10)
        if self.returncode == 0:
            self.versions[package] = self.version
        return InstallResult(
            tool=tool,
            package=package,
            returncode=self.returncode,
            version=self.versions.get(package),
            output_tail=f"added 1 package: {package}",
        )
