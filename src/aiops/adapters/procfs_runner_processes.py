"""ProcfsRunnerProcesses: a process's id from /proc, and whether it is still alive.

The id is "<hostname>:<pid>:<start time>:<pid namespace>": the start time (field 22 of
/proc/<pid>/stat, clock ticks since boot) tells a reused pid from the process that had it; the
pid namespace tells two containers that share a hostname apart, since neither sees the other's
processes. A process is alive when /proc/<pid>/stat exists with the same start time.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

PROC = Path("/proc")


def start_time(pid: int, proc: Path = PROC) -> int | None:
    """Field 22 of /proc/<pid>/stat, or None when there is no such process."""
    try:
        stat = (proc / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
    except (FileNotFoundError, ProcessLookupError, NotADirectoryError):
        return None
    # The command name (field 2) is in parentheses and may hold spaces or ')': fields 3 on
    # follow its last ')'.
    fields = stat[stat.rfind(")") + 2 :].split()
    return int(fields[19])


def pid_namespace(proc: Path = PROC) -> str:
    try:
        link = os.readlink(proc / "self" / "ns" / "pid")  # "pid:[4026531836]"
    except OSError:
        return "-"
    return link.removeprefix("pid:[").removesuffix("]") or "-"


def parse(runner: str) -> tuple[str, int, int, str] | None:
    """(host, pid, start time, pid namespace), or None when `runner` is not such an id."""
    parts = runner.rsplit(":", 3)
    if len(parts) != 4 or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return parts[0], int(parts[1]), int(parts[2]), parts[3]


class ProcfsRunnerProcesses:
    def __init__(self, *, hostname: str | None = None, proc: Path = PROC) -> None:
        self._proc = proc
        self._host = hostname or socket.gethostname()
        self._namespace = pid_namespace(proc)

    def me(self) -> str:
        pid = os.getpid()
        return f"{self._host}:{pid}:{start_time(pid, self._proc) or 0}:{self._namespace}"

    def alive(self, runner: str) -> bool | None:
        parsed = parse(runner)
        if parsed is None:
            return None
        host, pid, started, namespace = parsed
        if host != self._host or namespace != self._namespace:
            return None
        return start_time(pid, self._proc) == started

    def describe(self, runner: str) -> str:
        parsed = parse(runner)
        if parsed is None:
            return f"aiops process {runner}"
        return f"aiops process {parsed[1]} on {parsed[0]}"
