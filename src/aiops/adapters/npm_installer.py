"""NpmCliInstaller: the AI CLIs' versions from one `npm ls -g`, and `npm install -g` of an
allowlisted package with its output passed on line by line as npm prints it.

npm is run from an argv list (never a shell), with only a package of the tool allowlist:
the domain chooses the package, and this adapter checks it again before npm sees it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from aiops.domain.errors import ValidationError
from aiops.domain.model.sessions import DEFAULT_TOOLS, Tool
from aiops.ports.cli_installer import CliToolStatus, InstallResult

INSTALL_TIMEOUT_SECONDS = 15 * 60.0
STATUS_TIMEOUT_SECONDS = 60.0
TAIL_LINES = 200
NOT_FOUND = 127
# Plain line-based output: no colours, spinner, funding or audit banners, update nags.
QUIET_ENV = {
    "NO_COLOR": "1",
    "npm_config_color": "false",
    "npm_config_progress": "false",
    "npm_config_fund": "false",
    "npm_config_audit": "false",
    "npm_config_update_notifier": "false",
}


def allowlisted_packages() -> frozenset[str]:
    return frozenset(spec.package for spec in DEFAULT_TOOLS.values() if spec.package)


def versions_from_ls(text: str) -> dict[str, str]:
    """`npm ls -g --depth=0 --json` -> {package: version}; ValueError if it is not that."""
    data = json.loads(text or "{}")
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    dependencies = data.get("dependencies") or {}
    if not isinstance(dependencies, dict):
        raise ValueError("dependencies is not an object")
    return {
        name: str(entry["version"])
        for name, entry in dependencies.items()
        if isinstance(entry, dict) and isinstance(entry.get("version"), str)
    }


class NpmCliInstaller:
    def __init__(
        self,
        npm: str = "npm",
        *,
        timeout: float = INSTALL_TIMEOUT_SECONDS,
        allowlist: frozenset[str] | None = None,
    ) -> None:
        self.npm = npm
        self.timeout = timeout
        self.allowlist = allowlisted_packages() if allowlist is None else allowlist

    def status(
        self, packages: Mapping[Tool, str], commands: Mapping[Tool, str] | None = None
    ) -> list[CliToolStatus]:
        versions, note = self._versions()
        return [
            CliToolStatus(
                tool=tool,
                package=package,
                installed=versions.get(package),
                path=shutil.which((commands or {}).get(tool, tool.value)),
                note=note,
            )
            for tool, package in packages.items()
        ]

    def install(self, tool: Tool, package: str, on_output: Callable[[str], None]) -> InstallResult:
        if package not in self.allowlist:
            raise ValidationError("package", f"{package[:60]!r} is not in the tool allowlist")
        tail: deque[str] = deque(maxlen=TAIL_LINES)

        def emit(line: str) -> None:
            tail.append(line)
            on_output(line)

        returncode, timed_out = self._run_streaming(
            [self.npm, "install", "-g", f"{package}@latest"], emit
        )
        versions, _ = self._versions()
        return InstallResult(
            tool=tool,
            package=package,
            returncode=returncode,
            version=versions.get(package),
            output_tail="\n".join(tail),
            timed_out=timed_out,
        )

    def _run_streaming(self, argv: list[str], emit: Callable[[str], None]) -> tuple[int, bool]:
        """Run `argv` (its own process group, so a timeout kills npm's children too), passing
        each line on as it arrives; (returncode, timed out)."""
        try:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
                env={**os.environ, **QUIET_ENV},
                start_new_session=True,
            )
        except OSError as error:
            emit(f"aiops: cannot run {self.npm}: {error.strerror or error} (set AIOPS_NPM)")
            return NOT_FOUND, False
        expired = threading.Event()
        timer = threading.Timer(self.timeout, _kill_group, args=(process, expired))
        timer.daemon = True
        timer.start()
        with process:
            try:
                assert process.stdout is not None
                for line in process.stdout:
                    emit(line.rstrip("\r\n"))
                returncode = process.wait()
            finally:
                timer.cancel()
        if expired.is_set():
            emit(f"aiops: {self.npm} was stopped after {self.timeout:g} s")
        return returncode, expired.is_set()

    def _versions(self) -> tuple[dict[str, str], str | None]:
        """Every global package's version from one `npm ls`, or ({}, why not)."""
        try:
            done = subprocess.run(
                [self.npm, "ls", "-g", "--depth=0", "--json"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                env={**os.environ, **QUIET_ENV},
                timeout=STATUS_TIMEOUT_SECONDS,
                check=False,
            )
        except OSError as error:
            reason = error.strerror or str(error)
            return (
                {},
                f"npm not found ({self.npm}: {reason}): install Node.js and npm, or set AIOPS_NPM",
            )
        except subprocess.TimeoutExpired:
            return {}, f"npm ls -g did not answer within {STATUS_TIMEOUT_SECONDS:g} s"
        try:
            return versions_from_ls(done.stdout), None
        except ValueError:
            return {}, f"npm ls -g gave no readable answer (exit {done.returncode})"


def _kill_group(process: subprocess.Popen[Any], expired: threading.Event) -> None:
    expired.set()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
