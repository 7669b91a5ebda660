"""tmux sessions through LauncherTmuxSessions, each beside raw tmux in the same run.

Every tmux client aiops runs is the account's, started by the launcher: measured both ways
aiops reaches it, in this process when aiops is root (the CLI of an operator) and over the
launcher's socket (the web server and scheduler, running as the service account; here the
launcher's server runs in a thread of this process).

1. Launch of a window running a fake AI CLI, up to its first output in the pane (median,
   target < 300 ms), for a new server + session and for a new window in a running session;
   baseline: `tmux new-session -d` + polling `capture-pane`.
2. `windows()` on a server holding 100 sessions (p50 and p95, target p95 < 50 ms); baseline:
   one `tmux list-windows -a` process.

As root the windows run as a throwaway Linux account (made here, removed at the end), and so
does every tmux client here, the baselines' included; otherwise as the current user.

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
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiops.adapters.launcher.executor import Executor
from aiops.adapters.launcher.server import LauncherServer
from aiops.adapters.launcher.switch import AccountRules
from aiops.adapters.launching import AccountLauncher, InProcessBackend, SocketBackend
from aiops.adapters.posix_users import PosixLinuxUsers
from aiops.adapters.system_accounts import uid_min
from aiops.adapters.tmux import LauncherTmuxSessions
from aiops.container import launcher_programs
from aiops.ports.linux_users import LinuxAccount
from aiops.ports.tmux import TmuxServer, TmuxWindow, WindowSpec

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


@contextmanager
def bench_launchers(place: Path, account: LinuxAccount) -> Iterator[dict[str, AccountLauncher]]:
    """The launcher as aiops has it as root (`in-process`) and as the service account
    (`socket`); without root, only this process's own account (`own account`)."""
    programs = launcher_programs()
    executor = Executor(
        rules=AccountRules(minimum=uid_min(), deny=frozenset(), mapped=account.name.__eq__),
        programs=programs,
        workspace_root=place,
    )
    if os.geteuid() != 0:
        yield {"own account": AccountLauncher(backend=None, programs=programs,
                                              workspace_root=place)}  # fmt: skip
        return
    path = str(place / "launcher.sock")
    server = LauncherServer(path, executor=executor, peer_uid=os.geteuid())
    stop = threading.Event()
    thread = threading.Thread(target=server.serve_until, args=(stop,))
    thread.start()
    try:
        yield {
            "in-process": AccountLauncher(
                backend=InProcessBackend(executor), programs=programs, workspace_root=place
            ),
            "socket": AccountLauncher(
                backend=SocketBackend(path), programs=programs, workspace_root=place
            ),
        }
    finally:
        stop.set()
        thread.join()


def as_account(account: LinuxAccount) -> dict[str, Any]:
    """subprocess.run's arguments that run a raw tmux client as the account (as root)."""
    if os.geteuid() != 0:
        return {}
    return {"user": account.uid, "group": account.gid, "extra_groups": [], "cwd": "/"}


def tmux(account: LinuxAccount, socket: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TMUX, "-S", socket, *args], capture_output=True, text=True, check=False,
        **as_account(account),
    )  # fmt: skip


def shows(account: LinuxAccount, socket: str, target: str, text: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in tmux(account, socket, "capture-pane", "-p", "-t", target).stdout:
            return
        time.sleep(0.002)
    raise RuntimeError(f"{text!r} never showed in {target}")


def launch_ms(
    sessions: LauncherTmuxSessions, make: Callable[[int], WindowSpec], runs: int
) -> list[float]:
    times = []
    for i in range(runs):
        spec = make(i)
        started = time.perf_counter()
        window: TmuxWindow = sessions.launch(spec).window
        shows(spec.account, spec.socket, f"={window.session}:={window.window}", "fake cli ready")
        times.append((time.perf_counter() - started) * 1000)
    return times


def raw_launch_ms(place: Path, account: LinuxAccount, cli: Path, runs: int) -> list[float]:
    times = []
    for i in range(runs):
        socket = str(place / f"tmux-{account.uid}" / f"raw-{i}")
        started = time.perf_counter()
        tmux(account, socket, "new-session", "-d", "-s", "raw", "--", str(cli), "x")
        shows(account, socket, "=raw:", "fake cli ready")
        times.append((time.perf_counter() - started) * 1000)
        tmux(account, socket, "kill-server")
    return times


def launches(
    place: Path, account: LinuxAccount, launchers: dict[str, AccountLauncher], runs: int
) -> list[dict[str, object]]:
    cli = place / "bin" / "fake-cli"
    cli.parent.mkdir(mode=0o755)
    cli.write_text(FAKE_CLI)
    cli.chmod(0o755)

    def spec(socket: str, session: str, window: str) -> WindowSpec:
        return WindowSpec(socket=socket, session=session, window=window, account=account,
                          cwd=account.home, argv=(str(cli),), login_shell=False)  # fmt: skip

    rows = []
    for how, launcher in launchers.items():
        sessions = LauncherTmuxSessions(launcher=launcher)
        folder = place / f"tmux-{account.uid}"
        sockets = [str(folder / f"{how.replace(' ', '-')}-{i}") for i in range(runs)]
        new_server = launch_ms(
            sessions, lambda i, s=sockets: spec(s[i], "acme-p1", "alice-codex"), runs
        )
        for socket in sockets[1:]:
            tmux(account, socket, "kill-server")
        new_window = launch_ms(
            sessions, lambda i, s=sockets: spec(s[0], "acme-p1", f"u{i}-codex"), runs
        )
        tmux(account, sockets[0], "kill-server")
        baseline = statistics.median(raw_launch_ms(place, account, cli, runs))
        rows += [
            row(f"launch ({how}): new server + session, to first output", new_server,
                baseline, 300),
            row(f"launch ({how}): new window in a running session, to first output",
                new_window, baseline, 300),
        ]  # fmt: skip
    return rows


def listing(
    place: Path, account: LinuxAccount, launchers: dict[str, AccountLauncher], count: int,
    runs: int,
) -> list[dict[str, object]]:  # fmt: skip
    server = TmuxServer(str(place / f"tmux-{account.uid}" / "listing"), account)
    first = next(iter(launchers.values()))
    LauncherTmuxSessions(launcher=first).launch(
        WindowSpec(socket=server.socket, session="acme-p0", window="alice-codex",
                   account=account, cwd=account.home, argv=("sleep", "600"), login_shell=False)
    )  # fmt: skip
    chained: list[str] = []
    for i in range(1, count):
        chained += ["new-session", "-d", "-s", f"acme-p{i}", "-n", "alice-codex", "sleep 600", ";"]
    assert tmux(account, server.socket, *chained[:-1]).returncode == 0
    rows = []
    for how, launcher in launchers.items():
        sessions = LauncherTmuxSessions(launcher=launcher)
        assert len(sessions.windows([server]).windows) == count
        raw: list[float] = []
        ours: list[float] = []
        for _ in range(runs):
            started = time.perf_counter()
            tmux(account, server.socket, "list-windows", "-a")
            raw.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            sessions.windows([server])
            ours.append((time.perf_counter() - started) * 1000)
        quantiles = statistics.quantiles(ours, n=20)
        rows.append(
            {
                "measurement": f"windows() ({how}) on a server with {count} sessions (p50 / p95)",
                "ms": round(statistics.median(ours), 1),
                "p95_ms": round(quantiles[18], 1),
                "baseline_ms": round(statistics.median(raw), 1),
                "baseline": "tmux list-windows -a",
                "target": "p95 < 50 ms",
                "passed": quantiles[18] < 50,
            }
        )
    tmux(account, server.socket, "kill-server")
    return rows


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
    place.chmod(0o1777)  # as /tmp: the account makes its own tmux-<uid> folder here
    try:
        with bench_account() as account, bench_launchers(place, account) as launchers:
            rows = launches(place, account, launchers, runs)
            rows += listing(place, account, launchers, 100, runs * 5)
            for socket in place.rglob("*"):
                if socket.is_socket() and socket.parent != place:
                    tmux(account, str(socket), "kill-server")
    finally:
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
