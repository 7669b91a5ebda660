"""tmux sessions through LibtmuxSessions, each beside raw tmux in the same run.

1. Launch of a window running a fake AI CLI, up to its first output in the pane (median,
   target < 300 ms), for a new server + session (started as the account) and for a new window
   in a running session; baseline: `tmux new-session -d` + polling `capture-pane`.
2. `windows()` on a server holding 100 sessions (p50 and p95, target p95 < 50 ms); baseline:
   one `tmux list-windows -a` process.

As root the windows run as a throwaway Linux account (made here, removed at the end);
otherwise as the current user.

    .venv/bin/python bench/sessions.py [--quick] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from aiops.adapters.posix_users import PosixLinuxUsers
from aiops.adapters.tmux import LibtmuxSessions
from aiops.ports.linux_users import LinuxAccount
from aiops.ports.tmux import TmuxWindow, WindowSpec

FAKE_CLI = '#!/bin/sh\necho "fake cli ready"\nexec sleep 600\n'
TMUX = shutil.which("tmux") or "tmux"


@contextmanager
def bench_account() -> Iterator[LinuxAccount]:
    if os.geteuid() != 0:
        found = PosixLinuxUsers().lookup(pwd.getpwuid(os.getuid()).pw_name)
        assert found is not None
        yield found
        return
    name = f"aiops-b-{secrets.token_hex(3)}"
    subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
    try:
        found = PosixLinuxUsers().lookup(name)
        assert found is not None
        yield found
    finally:
        deadline = time.monotonic() + 10
        while (
            subprocess.run(["pgrep", "-u", name], check=False, capture_output=True).returncode == 0
        ):
            subprocess.run(["pkill", "-KILL", "-u", name], check=False)
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        subprocess.run(["userdel", "-r", name], check=False, capture_output=True)


def shows(socket: str, target: str, text: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = subprocess.run(
            [TMUX, "-S", socket, "capture-pane", "-p", "-t", target],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        if text in screen:
            return
        time.sleep(0.002)
    raise RuntimeError(f"{text!r} never showed in {target}")


def kill_server(socket: str) -> None:
    subprocess.run([TMUX, "-S", socket, "kill-server"], check=False, capture_output=True)


def launch_ms(
    sessions: LibtmuxSessions, make: Callable[[int], WindowSpec], runs: int
) -> list[float]:
    times = []
    for i in range(runs):
        spec = make(i)
        started = time.perf_counter()
        window: TmuxWindow = sessions.launch(spec).window
        shows(spec.socket, f"={window.session}:={window.window}", "fake cli ready")
        times.append((time.perf_counter() - started) * 1000)
    return times


def raw_launch_ms(place: Path, cli: Path, runs: int) -> list[float]:
    times = []
    for i in range(runs):
        socket = str(place / f"raw-{i}")
        started = time.perf_counter()
        subprocess.run(
            [TMUX, "-S", socket, "new-session", "-d", "-s", "raw", "--", str(cli), "x"],
            check=True,
        )
        shows(socket, "=raw:", "fake cli ready")
        times.append((time.perf_counter() - started) * 1000)
        kill_server(socket)
    return times


def launches(place: Path, account: LinuxAccount, runs: int) -> list[dict[str, object]]:
    cli = place / "bin" / "fake-cli"
    cli.parent.mkdir(mode=0o755)
    cli.write_text(FAKE_CLI)
    cli.chmod(0o755)
    sessions = LibtmuxSessions()

    def spec(socket: str, session: str, window: str) -> WindowSpec:
        return WindowSpec(
            socket=socket,
            session=session,
            window=window,
            account=account,
            cwd=account.home,
            argv=(str(cli),),
            login_shell=False,
        )

    baseline = statistics.median(raw_launch_ms(place, cli, runs))
    sockets = [str(place / account.name / f"server-{i}") for i in range(runs)]
    new_server = launch_ms(sessions, lambda i: spec(sockets[i], "acme-p1", "alice-codex"), runs)
    for socket in sockets[1:]:
        kill_server(socket)
    new_window = launch_ms(sessions, lambda i: spec(sockets[0], "acme-p1", f"u{i}-codex"), runs)
    kill_server(sockets[0])
    return [
        row("launch: new server + session, to first output", new_server, baseline, 300),
        row("launch: new window in a running session, to first output", new_window, baseline, 300),
    ]


def listing(place: Path, account: LinuxAccount, count: int, runs: int) -> list[dict[str, object]]:
    socket = str(place / account.name / "listing")
    sessions = LibtmuxSessions()
    sessions.launch(
        WindowSpec(
            socket=socket,
            session="acme-p0",
            window="alice-codex",
            account=account,
            cwd=account.home,
            argv=("sleep", "600"),
            login_shell=False,
        )
    )
    chained: list[str] = []
    for i in range(1, count):
        chained += ["new-session", "-d", "-s", f"acme-p{i}", "-n", "alice-codex", "sleep 600", ";"]
    subprocess.run([TMUX, "-S", socket, *chained[:-1]], check=True)
    assert len(sessions.windows([socket])) == count
    raw: list[float] = []
    ours: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([TMUX, "-S", socket, "list-windows", "-a"], check=True, capture_output=True)
        raw.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        sessions.windows([socket])
        ours.append((time.perf_counter() - started) * 1000)
    kill_server(socket)
    quantiles = statistics.quantiles(ours, n=20)
    return [
        {
            "measurement": f"windows() on a server with {count} sessions (p50 / p95)",
            "ms": round(statistics.median(ours), 1),
            "p95_ms": round(quantiles[18], 1),
            "baseline_ms": round(statistics.median(raw), 1),
            "baseline": "tmux list-windows -a",
            "target": "p95 < 50 ms",
            "passed": quantiles[18] < 50,
        }
    ]


def row(name: str, times: list[float], baseline: float, target: float) -> dict[str, object]:
    median = statistics.median(times)
    return {
        "measurement": name,
        "ms": round(median, 1),
        "baseline_ms": round(baseline, 1),
        "baseline": "tmux new-session -d + poll",
        "target": f"median < {target:g} ms",
        "passed": median < target,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    parser.add_argument("--output", type=Path, help="write the figures as JSON here")
    options = parser.parse_args()
    runs = 5 if options.quick else 20
    place = Path(tempfile.mkdtemp(prefix="aiops-bench-tmux-"))
    place.chmod(0o711)
    try:
        with bench_account() as account:
            rows = launches(place, account, runs) + listing(place, account, 100, runs * 5)
    finally:
        for socket in place.rglob("*"):
            if socket.is_socket():
                kill_server(str(socket))
        shutil.rmtree(place, ignore_errors=True)
    print("| measurement | ms (p50) | p95 ms | baseline | baseline ms | target | result |")
    print("| --- | ---: | ---: | --- | ---: | --- | --- |")
    for r in rows:
        result = "pass" if r["passed"] else "FAIL"
        print(
            f"| {r['measurement']} | {r['ms']} | {r.get('p95_ms', '')} | {r['baseline']} "
            f"| {r['baseline_ms']} | {r['target']} | {result} |"
        )
    if options.output:
        options.output.write_text(json.dumps({"rows": rows}, indent=2) + "\n")
    return 0 if options.quick or all(r["passed"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
