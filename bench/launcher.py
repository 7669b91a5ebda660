"""The launcher's cost per request: run `true` as a person's account, beside a plain
`subprocess.run(["true"])` in the same run (target: at most 3 ms added at the median).

Two ways, as aiops uses them:
1. over the socket: the real `aiops launcher` daemon (root) and a client running as the
   service account, as the web workers do;
2. in process: aiops running as root calls the launcher's code itself (an operator's CLI).

Needs root: it makes a person's account and a service account (removed at the end), an
instance with one user mapped to the person, and starts the daemon.

    .venv/bin/python bench/launcher.py [--runs N] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import os
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
from typing import Any

from aiops.adapters.launcher.executor import Executor, in_child
from aiops.adapters.launcher.switch import Account, AccountRules
from aiops.adapters.launching import AccountLauncher, InProcessBackend, SocketBackend
from aiops.adapters.system_accounts import uid_min
from aiops.container import launcher_programs
from aiops.ports.linux_users import LinuxAccount

AIOPS = str(Path(sys.executable).with_name("aiops"))
TRUE = shutil.which("true") or "/bin/true"


@contextmanager
def account(*useradd: str) -> Iterator[LinuxAccount]:
    name = f"aiops-b-{secrets.token_hex(3)}"
    subprocess.run(["useradd", *useradd, name], check=True, capture_output=True)
    try:
        import pwd

        entry = pwd.getpwnam(name)
        yield LinuxAccount(
            name=name, uid=entry.pw_uid, gid=entry.pw_gid, home=entry.pw_dir, shell="/bin/sh"
        )
    finally:
        subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True, check=False)
        time.sleep(0.2)
        subprocess.run(["userdel", "-r", name], capture_output=True, check=False)


def timings(runs: int, *calls: Callable[[], object]) -> list[list[float]]:
    """Each call `runs` times, interleaved (so drift hits all alike), in milliseconds."""
    for call in calls:
        for _ in range(20):
            call()
    found: list[list[float]] = [[] for _ in calls]
    for _ in range(runs):
        for times, call in zip(found, calls, strict=True):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
    return found


def plain_true() -> None:
    subprocess.run([TRUE], check=True)


def summary(name: str, times: list[float], baseline: list[float]) -> dict[str, Any]:
    median, base = statistics.median(times), statistics.median(baseline)
    return {
        "measurement": name,
        "median_ms": round(median, 2),
        "p95_ms": round(statistics.quantiles(times, n=20)[18], 2),
        "baseline_ms": round(base, 2),
        "added_ms": round(median - base, 2),
        "ratio": round(median / base, 2),
        "target": "<= 3 ms added",
        "result": "pass" if median - base <= 3 else "fail",
    }


def over_socket(runs: int, person: LinuxAccount, service: LinuxAccount) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="aiops-bench-launcher-"))
    folder.chmod(0o711)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")} | {
        "AIOPS_INSTANCE_PATH": str(folder / "instance"),
        "AIOPS_SERVICE_USER": service.name,
    }
    run = lambda *args: subprocess.run([AIOPS, *args], env=env, check=True, capture_output=True)  # noqa: E731
    run("db", "upgrade")
    run(
        "user", "create", "--email", "p@example.com", "--name", "P", "--linux-username", person.name
    )
    subprocess.run(
        ["chown", "-R", f"{service.uid}:{service.gid}", str(folder / "instance")], check=True
    )
    socket_path = str(folder / "instance" / "launcher.sock")
    daemon = subprocess.Popen(
        [AIOPS, "launcher", "--socket", socket_path], env=env, stderr=subprocess.DEVNULL
    )
    try:
        while not Path(socket_path).exists():
            time.sleep(0.02)
        as_service = Account(
            service.name, service.uid, service.gid, service.home, "/bin/sh",
            tuple(os.getgrouplist(service.name, service.gid)),
        )  # fmt: skip

        def measure() -> dict[str, Any]:
            launcher = AccountLauncher(
                backend=SocketBackend(socket_path),
                programs=launcher_programs(),
                workspace_root=folder,
            )
            through, plain = timings(
                runs, lambda: launcher.run(person, "true", [], cwd="/"), plain_true
            )
            return {"through": through, "plain": plain}

        answer = in_child(as_service, measure).body
        assert answer.get("ok"), answer
        return summary(
            "run `true` as an account through the launcher's socket (client: the service account)",
            answer["through"],
            answer["plain"],
        )
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def in_process(runs: int, person: LinuxAccount) -> dict[str, Any]:
    executor = Executor(
        rules=AccountRules(minimum=uid_min(), deny=frozenset({"nobody"}), mapped=lambda _: True),
        programs=launcher_programs(),
        workspace_root=Path("/tmp"),
    )
    launcher = AccountLauncher(
        backend=InProcessBackend(executor), programs=launcher_programs(), workspace_root=Path("/")
    )
    through, plain = timings(runs, lambda: launcher.run(person, "true", [], cwd="/"), plain_true)
    return summary("the same, in process (aiops itself root: an operator's CLI)", through, plain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/launcher.py needs root (it makes accounts and starts the launcher)")
    with account("--create-home") as person, account("--system", "--create-home") as service:
        rows = [over_socket(args.runs, person, service), in_process(args.runs, person)]
    print('| measurement | median | p95 | `subprocess.run(["true"])` | added | target | result |')
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['measurement']} | {row['median_ms']} ms | {row['p95_ms']} ms | "
            f"{row['baseline_ms']} ms | {row['added_ms']} ms ({row['ratio']}x) | "
            f"{row['target']} | {row['result']} |"
        )
    if args.output:
        args.output.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
