"""The AI CLIs on this machine: which version of each is installed, and installing or upgrading
one through npm. Only a package of the tool allowlist is ever installed; the tool comes from
the user, the package never does."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs

from aiops.domain.errors import Conflict, ValidationError
from aiops.domain.model.access import Actor
from aiops.domain.model.sessions import DEFAULT_TOOLS, Tool, ToolSpec
from aiops.domain.usecases._audit import record
from aiops.ports.cli_installer import CliInstaller, CliToolStatus, InstallResult
from aiops.ports.clock import Clock
from aiops.ports.locks import KeyedLocks
from aiops.ports.unit_of_work import UnitOfWorkFactory


def installable(tools: Mapping[Tool, ToolSpec]) -> dict[Tool, str]:
    """Tool -> npm package, for the tools that have one (a shell has none)."""
    return {tool: spec.package for tool, spec in tools.items() if spec.package}


def package_for(tools: Mapping[Tool, ToolSpec], value: str | Tool) -> tuple[Tool, str]:
    """The tool named by `value` and its allowlisted package, or a clear refusal."""
    tool = value if isinstance(value, Tool) else Tool.parse(value)
    packages = installable(tools)
    if tool not in packages:
        names = "|".join(t.value for t in packages)
        raise ValidationError(
            "tool", f"{tool.value} is not installed through npm (only {names} are)"
        )
    return tool, packages[tool]


@attrs.frozen
class CliToolsStatus:
    installer: CliInstaller
    tools: Mapping[Tool, ToolSpec] = DEFAULT_TOOLS

    def __call__(self) -> list[CliToolStatus]:
        commands = {tool: spec.argv[0] for tool, spec in self.tools.items()}
        return self.installer.status(installable(self.tools), commands)


@attrs.frozen(kw_only=True)
class InstallCliToolCommand:
    tool: str | Tool
    actor: Actor
    on_output: Callable[[str], None] = lambda line: None


@attrs.frozen
class InstallCliTool:
    """`npm install -g <package>@latest` for one allowlisted tool, by a global admin; the
    outcome (not npm's output) goes to the audit trail."""

    uow: UnitOfWorkFactory
    clock: Clock
    installer: CliInstaller
    locks: KeyedLocks  # one install at a time per tool: a second one is refused, not queued
    tools: Mapping[Tool, ToolSpec] = DEFAULT_TOOLS

    def check(self, cmd: InstallCliToolCommand) -> tuple[Tool, str]:
        """Refuse early (before starting anything in the background): who, and which tool."""
        cmd.actor.require_admin()
        return package_for(self.tools, cmd.tool)

    def __call__(self, cmd: InstallCliToolCommand) -> InstallResult:
        tool, package = self.check(cmd)
        with self.locks.hold(tool, wait=False) as taken:
            if not taken:
                raise Conflict(f"{tool.value} is already being installed: wait for it to finish")
            result = self.installer.install(tool, package, cmd.on_output)
        with self.uow() as uow:
            record(
                uow,
                self.clock,
                actor=cmd.actor.name,
                action="cli_tool.installed",
                target=f"cli_tool:{tool.value}",
                tool=tool.value,
                package=package,
                returncode=result.returncode,
                version=result.version,
                timed_out=result.timed_out,
            )
            uow.commit()
        return result
