"""Admin -> Settings -> CLI tools: install or upgrade an AI CLI through npm in a background
thread, and a page that shows npm's output as it arrives, then the result.

Runs live in this web process's memory (the last lines of each, the last few runs); what
lasts is the audit event the use case records.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from typing import Any

import attrs
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from aiops.domain.errors import DomainError, NotFound
from aiops.domain.model.sessions import Tool
from aiops.domain.usecases.cli_tools import InstallCliTool, InstallCliToolCommand
from aiops.entrypoints.http.admin._common import FORM_ERRORS, require_admin
from aiops.entrypoints.http.web import call, container, flash, form, redirect, render
from aiops.log import get_logger
from aiops.ports.cli_installer import InstallResult

log = get_logger(__name__)
SETTINGS = "/admin/settings"
RUN_LINES = 2000  # the lines of a run kept for its page
RUNS_KEPT = 20


@attrs.define(kw_only=True, eq=False)
class CliRun:
    """One install as it runs: the last lines of its output, then its result or error."""

    id: int
    tool: Tool
    package: str
    actor: str
    lines: deque[str] = attrs.field(factory=lambda: deque(maxlen=RUN_LINES))
    total: int = 0  # lines seen so far, including the ones dropped from `lines`
    result: InstallResult | None = None
    error: str | None = None
    done: bool = False
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def append(self, line: str) -> None:
        with self._lock:
            self.lines.append(line)
            self.total += 1

    def since(self, seen: int) -> tuple[list[str], int]:
        """The lines after the first `seen` ones (those still kept), and the new count."""
        with self._lock:
            first = self.total - len(self.lines)
            return list(self.lines)[max(seen - first, 0) :], self.total

    def finish(self, result: InstallResult | None = None, error: str | None = None) -> None:
        with self._lock:
            self.result, self.error, self.done = result, error, True


class CliRuns:
    """The web process's install runs, newest last; only the last RUNS_KEPT are kept."""

    def __init__(self) -> None:
        self._runs: dict[int, CliRun] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def start(self, install: InstallCliTool, cmd: InstallCliToolCommand, package: str) -> CliRun:
        tool = Tool(cmd.tool)
        with self._lock:
            run = CliRun(id=next(self._ids), tool=tool, package=package, actor=cmd.actor.name)
            self._runs[run.id] = run
            for old in list(self._runs)[:-RUNS_KEPT]:
                del self._runs[old]
        cmd = attrs.evolve(cmd, tool=tool, on_output=run.append)
        threading.Thread(target=_install, args=(install, cmd, run), daemon=True).start()
        return run

    def get(self, run_id: int) -> CliRun:
        with self._lock:
            run = self._runs.get(run_id)
        if run is None:
            raise NotFound(f"install run {run_id} is not known (runs are kept until a restart)")
        return run

    def running(self) -> dict[Tool, CliRun]:
        with self._lock:
            return {run.tool: run for run in self._runs.values() if not run.done}


def _install(install: InstallCliTool, cmd: InstallCliToolCommand, run: CliRun) -> None:
    """The background thread: the use case, its result or why it failed kept on the run."""
    try:
        run.finish(result=install(cmd))
    except DomainError as error:
        run.finish(error=error.message)
    except Exception as error:
        log.exception("cli_tool.install_failed", tool=run.tool.value)
        run.finish(error=f"unexpected error: {type(error).__name__}")


def runs(request: Request) -> CliRuns:
    registry: CliRuns = request.app.state.cli_runs
    return registry


async def start_install(request: Request) -> Response:
    actor = await require_admin(request)
    await form(request)
    install = container(request).install_cli_tool()
    cmd = InstallCliToolCommand(tool=request.path_params["tool"], actor=actor)
    try:
        tool, package = install.check(cmd)
    except FORM_ERRORS as error:
        flash(request, error.message, "error")
        return redirect(SETTINGS)
    running = runs(request).running().get(tool)
    if running is not None:
        flash(request, f"{tool.value} is already being installed: here is that run.", "error")
        return redirect(f"/admin/cli-tools/runs/{running.id}")
    run = runs(request).start(install, attrs.evolve(cmd, tool=tool), package)
    return redirect(f"/admin/cli-tools/runs/{run.id}")


async def run_page(request: Request) -> Response:
    await require_admin(request)
    run = runs(request).get(request.path_params["run_id"])
    lines, seen = run.since(0)
    return render(request, "admin/cli_run.html", run=run, lines=lines, seen=seen)


async def run_output(request: Request) -> Response:
    """The lines after `?since=N`, and the result once done (polled by cli_run.js)."""
    await require_admin(request)
    run = runs(request).get(request.path_params["run_id"])
    since = request.query_params.get("since", "0")
    lines, seen = run.since(int(since) if since.isdigit() and len(since) < 10 else 0)
    result = run.result
    return JSONResponse(
        {
            "tool": run.tool.value,
            "lines": lines,
            "next": seen,
            "done": run.done,
            "returncode": result.returncode if result else None,
            "version": result.version if result else None,
            "timed_out": result.timed_out if result else False,
            "error": run.error,
        }
    )


async def statuses(request: Request) -> dict[str, Any]:
    """What the Settings page's CLI tools card shows."""
    return {
        "cli_tools": await call(container(request).cli_tools_status()),
        "cli_runs": runs(request).running(),
    }


routes = [
    Route("/admin/cli-tools/{tool}/install", start_install, methods=["POST"]),
    Route("/admin/cli-tools/runs/{run_id:int}", run_page, methods=["GET"]),
    Route("/admin/cli-tools/runs/{run_id:int}/output", run_output, methods=["GET"]),
]
