"""A run whose aiops process is killed (SIGKILL: no handler, no cleanup) is reported failed,
with the reason, instead of "running" for ever: by `aiops runs show` and `runs list`, and at
`aiops scheduler run` start. Real `aiops run-playbook` processes, real ansible-runner, SQLite
and PostgreSQL. The ansible processes the killed run leaves behind are killed in cleanup."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.ansible.test_cli_automation import cli
from tests.integration.test_cli import AIOPS, Cli

__all__ = ["cli"]
pytestmark = pytest.mark.slow
PROC = Path("/proc")


def stat_fields(pid: int) -> list[str] | None:
    """Fields 3 on of /proc/<pid>/stat (state, ppid, pgrp, session, ...), None when gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat[stat.rfind(")") + 2 :].split()


def processes() -> dict[int, tuple[int, int]]:
    """pid -> (ppid, session) of every process."""
    found: dict[int, tuple[int, int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (fields := stat_fields(int(entry.name))):
            found[int(entry.name)] = (int(fields[1]), int(fields[3]))
    return found


def descendants(root: int) -> set[int]:
    table = processes()
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, (ppid, _) in table.items() if ppid in frontier} - found
        found |= frontier
    return found


class LeftBehind:
    """The processes a killed aiops leaves: its descendants, and every process of their
    sessions (ansible-runner starts ansible-playbook in a session of its own)."""

    def __init__(self) -> None:
        self.pids: set[int] = set()
        self.sessions: set[int] = set()

    def note(self, root: int) -> None:
        own = os.getsid(0)
        for pid in descendants(root):
            self.pids.add(pid)
            fields = stat_fields(pid)
            if fields and int(fields[3]) != own:
                self.sessions.add(int(fields[3]))

    def kill(self) -> None:
        targets = self.pids | {p for p, (_, sid) in processes().items() if sid in self.sessions}
        for pid in targets - {os.getpid()}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def left_behind() -> Iterator[LeftBehind]:
    left = LeftBehind()
    yield left
    left.kill()


def kill_mid_run(cli: Cli, left_behind: LeftBehind) -> tuple[int, int]:
    """Start the sleep playbook, SIGKILL its aiops process once the run is stored as running
    and ansible sleeps: (run id, pid of the killed process)."""
    child = subprocess.Popen(
        [AIOPS, "run-playbook", "sleep", "--json", "--extra-vars", '{"sleep_seconds": 120}'],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=cli.home,
        env=cli.env,
    )
    try:
        assert child.stdout is not None
        for line in child.stdout:
            event = json.loads(line)
            if event["event"] == "playbook_on_task_start" and event["task"] == "Sleep":
                break
        else:
            pytest.fail("the run ended before its Sleep task")
        run_id = int(event["run_id"])
        deadline = time.monotonic() + 20
        while True:  # the events are stored in batches: wait until the Sleep task's is
            shown = json.loads(cli.ok("runs", "show", str(run_id), "--json"))
            if any(e["task"] == "Sleep" for e in shown["events"]):
                break
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert shown["status"] == "running"
        time.sleep(0.3)  # the sleep command itself has started
        left_behind.note(child.pid)
    finally:
        child.kill()  # SIGKILL
        child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    return run_id, child.pid


def test_runs_show_and_list_report_a_run_of_a_killed_process_failed_with_the_reason(
    cli: Cli, left_behind: LeftBehind
) -> None:
    run_id, pid = kill_mid_run(cli, left_behind)
    reason = f"aiops process {pid} on {socket.gethostname()} ended before the run finished"

    shown = json.loads(cli.ok("runs", "show", str(run_id), "--json"))

    assert (shown["status"], shown["rc"], shown["reason"]) == ("failed", None, reason)
    assert shown["ended_at"] is not None
    assert any(e["task"] == "Sleep" for e in shown["events"])  # what was stored stays
    assert shown["runner"].startswith(f"{socket.gethostname()}:{pid}:")
    [listed] = json.loads(cli.ok("runs", "list", "--json"))
    assert (listed["status"], listed["reason"]) == ("failed", reason)
    table = cli.ok("runs", "show", str(run_id))
    assert f"failed (rc -)\n  {reason}" in table
    cancel = cli.run("runs", "cancel", str(run_id))
    assert cancel.returncode == 1
    assert "already finished (failed)" in cancel.stderr


def test_the_scheduler_marks_runs_of_a_killed_process_failed_at_start(
    cli: Cli, left_behind: LeftBehind
) -> None:
    run_id, pid = kill_mid_run(cli, left_behind)

    scheduler = cli.run("scheduler", "run", "--once")

    assert scheduler.returncode == 0, scheduler.stderr
    assert (
        f"run {run_id} (sleep) marked failed: aiops process {pid} on {socket.gethostname()} "
        "ended before the run finished" in scheduler.stderr
    )
    again = cli.run("scheduler", "run", "--once")
    assert "marked failed" not in again.stderr  # once only
