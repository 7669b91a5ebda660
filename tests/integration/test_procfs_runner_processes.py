"""ProcfsRunnerProcesses against the real /proc: this process is alive, a process that has
exited is not, a reused pid (another start time) is not, other hosts and pid namespaces
cannot be told."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

from aiops.adapters.procfs_runner_processes import (
    ProcfsRunnerProcesses,
    parse,
    pid_namespace,
    start_time,
)


def test_me_names_this_host_pid_start_time_and_pid_namespace() -> None:
    processes = ProcfsRunnerProcesses()
    host, pid, started, namespace = parse(processes.me()) or ("", 0, 0, "")
    assert (host, pid) == (socket.gethostname(), os.getpid())
    assert started == start_time(os.getpid())
    assert started > 0
    assert namespace == pid_namespace()
    assert namespace.isdigit()
    assert processes.alive(processes.me()) is True
    assert processes.describe(processes.me()) == (
        f"aiops process {os.getpid()} on {socket.gethostname()}"
    )


def test_a_process_that_exited_is_dead() -> None:
    processes = ProcfsRunnerProcesses()
    child = subprocess.Popen(["sleep", "30"])
    try:
        started = start_time(child.pid)
        runner = f"{socket.gethostname()}:{child.pid}:{started}:{pid_namespace()}"
        assert processes.alive(runner) is True
    finally:
        child.kill()
        child.wait()
    assert processes.alive(runner) is False


def test_a_reused_pid_is_not_the_process_that_had_it() -> None:
    processes = ProcfsRunnerProcesses()
    started = start_time(os.getpid()) or 0
    runner = f"{socket.gethostname()}:{os.getpid()}:{started + 1}:{pid_namespace()}"
    assert processes.alive(runner) is False


def test_other_hosts_pid_namespaces_and_malformed_ids_cannot_be_told() -> None:
    processes = ProcfsRunnerProcesses()
    me = parse(processes.me())
    assert me is not None
    host, pid, started, namespace = me
    assert processes.alive(f"another-host:{pid}:{started}:{namespace}") is None
    assert processes.alive(f"{host}:{pid}:{started}:4026539999") is None
    for garbage in ("", "host", "host:x:1:2", "host:1:y:2", f"{host}:{pid}:{started}"):
        assert processes.alive(garbage) is None
    assert processes.describe("host:x") == "aiops process host:x"


def test_a_command_name_with_spaces_and_parentheses_is_read_past(tmp_path: Path) -> None:
    (tmp_path / "42").mkdir()
    fields = " ".join(str(n) for n in range(3, 53))  # fields 3..52: field 22 is "22"
    (tmp_path / "42" / "stat").write_text(f"42 (aiops ) (x) {fields}\n")
    assert start_time(42, tmp_path) == 22
    assert start_time(43, tmp_path) is None
    processes = ProcfsRunnerProcesses(hostname="h", proc=tmp_path)
    assert processes.alive("h:42:22:-") is True  # no ns link in the fake /proc: "-"
    assert processes.alive("h:42:21:-") is False
