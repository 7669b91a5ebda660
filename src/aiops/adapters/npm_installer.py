"""NpmCliInstaller: the AI CLIs' versions from one `npm ls -g`, and `npm install -g` of an
allowlisted package with its output passed on line by line as npm prints it.

The install writes into the global prefix every user's sessions run from, so it runs as root
through the launcher (`AccountLauncher.install_cli`, the fixed argv `npm install -g
<package>@latest`; ADR 0010). Where aiops runs as an ordinary user with no launcher (a
developer's own machine, an npm prefix of their own), npm runs as that user, as it always did:
it can install only where that user may write. `npm ls -g` needs no one's rights and runs as
the service. npm is run from an argv list (never a shell), with only a package of the tool
allowlist: the domain chooses the package, and this adapter and the launcher check it again.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Mapping

from aiops.adapters.launcher.executor import QUIET_NPM
from aiops.adapters.launching import AccountLauncher, ActFailed, LauncherUnavailable, Spawned
from aiops.domain.errors import AccountRefused, ValidationError
from aiops.domain.model.sessions import DEFAULT_TOOLS, Tool
from aiops.ports.cli_installer import CliToolStatus, InstallResult

INSTALL_TIMEOUT_SECONDS = 15 * 60.0
STATUS_TIMEOUT_SECONDS = 60.0
TAIL_LINES = 200
NOT_FOUND = 127


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
        launcher: AccountLauncher,
        timeout: float = INSTALL_TIMEOUT_SECONDS,
        allowlist: frozenset[str] | None = None,
    ) -> None:
        self.npm = npm
        self.launcher = launcher
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

        returncode, timed_out = self._install(package, emit)
        versions, _ = self._versions()
        return InstallResult(
            tool=tool,
            package=package,
            returncode=returncode,
            version=versions.get(package),
            output_tail="\n".join(tail),
            timed_out=timed_out,
        )

    def _install(self, package: str, emit: Callable[[str], None]) -> tuple[int, bool]:
        """Start npm (as root through the launcher, else as this account), pass its lines on,
        stop it at the timeout; (returncode, timed out). A start that fails is one line and
        NOT_FOUND."""
        try:
            if self.launcher.backend is None:
                spawned = _start_here([self.npm, "install", "-g", f"{package}@latest"])
            else:
                spawned = self.launcher.install_cli(package)
        except ActFailed as failed:
            emit(f"aiops: {failed.message} (set AIOPS_NPM)")
            return NOT_FOUND, False
        except (AccountRefused, LauncherUnavailable) as refused:
            emit(f"aiops: cannot install {package}: {refused.message}")
            return NOT_FOUND, False
        timed_out = _stream(spawned, emit, self.timeout)
        if timed_out:
            emit(f"aiops: {self.npm} was stopped after {self.timeout:g} s")
        return _exit_status(spawned, emit, stopped=timed_out), timed_out

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
                env={**os.environ, **QUIET_NPM},
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


def _start_here(argv: list[str]) -> Spawned:
    """`argv` as this account, in a session of its own (so stopping it stops its children),
    its output and errors merged on one descriptor, as the launcher hands them back."""
    try:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, **QUIET_NPM},
            start_new_session=True,
        )
    except OSError as error:
        raise ActFailed(f"cannot run {argv[0]}: {error.strerror or error}") from None
    assert process.stdout is not None
    output = os.dup(process.stdout.fileno())
    process.stdout.close()

    def stop() -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    return Spawned(fds=(output,), wait=process.wait, stop=stop)


def _stream(spawned: Spawned, emit: Callable[[str], None], timeout: float) -> bool:
    """Pass each line of the process's output on as it comes, until the output ends or
    `timeout` passes (then the process is stopped); True when it timed out."""
    (output,) = spawned.fds
    deadline = time.monotonic() + timeout
    pending = b""
    timed_out = False
    with selectors.DefaultSelector() as selector:
        selector.register(output, selectors.EVENT_READ)
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    spawned.stop()
                    timed_out = True
                    break
                if not selector.select(left):
                    continue
                chunk = os.read(output, 65536)
                if not chunk:
                    break
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    emit(_text(line))
        finally:
            os.close(output)
    if pending:
        emit(_text(pending))
    return timed_out


def _text(line: bytes) -> str:
    return line.decode("utf-8", errors="replace").rstrip("\r")


def _exit_status(spawned: Spawned, emit: Callable[[str], None], *, stopped: bool) -> int:
    """The exit status. A process stopped over the launcher's socket has none to give
    (closing the connection is what stopped it): that of a SIGKILL. One whose launcher went
    away meanwhile is a failure, said in one line."""
    try:
        return spawned.wait()
    except (OSError, LauncherUnavailable) as lost:
        if stopped:
            return -signal.SIGKILL
        why = lost.message if isinstance(lost, LauncherUnavailable) else lost.strerror
        emit(f"aiops: npm's exit status was lost: {why}")
        return 1
