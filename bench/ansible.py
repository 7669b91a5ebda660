"""aiops's overhead over running `ansible-playbook` directly, for the connectivity playbook
(ping.yml) on localhost, both measured in the same run, interleaved (target <= 1.15x):

1. `aiops run-playbook ping` in a fresh CLI process (SQLite), the whole command: start-up,
   checks, the run stored, ansible-runner, every event stored, the summary;
2. the RunPlaybook use case in a warm process (the dashboard's path), waiting for the end;
baseline: `ansible-playbook -i ansible/inventory/localhost.yml ansible/playbooks/ping.yml`.

    .venv/bin/python bench/ansible.py [--runs N] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
AIOPS = str(VENV_BIN / "aiops")
ANSIBLE_DIR = Path(__file__).parents[1] / "ansible"
TARGET = 1.15


def env_for(instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    return env | {
        "AIOPS_INSTANCE_PATH": str(instance),
        "AIOPS_ANSIBLE_DIR": str(ANSIBLE_DIR),
        "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', os.defpath)}",
    }


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs

    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp) / "instance"
        env = env_for(instance)
        subprocess.run([AIOPS, "db", "upgrade"], check=True, capture_output=True, env=env)
        direct = [
            str(VENV_BIN / "ansible-playbook"),
            "-i",
            str(ANSIBLE_DIR / "inventory" / "localhost.yml"),
            str(ANSIBLE_DIR / "playbooks" / "ping.yml"),
        ]
        cli = [AIOPS, "run-playbook", "ping"]

        os.environ.update({k: v for k, v in env.items() if k.startswith("AIOPS_")})
        from aiops import bootstrap
        from aiops.domain.usecases.automation import RunPlaybookCommand

        app = bootstrap()
        run_playbook = app.run_playbook()
        warm_cmd = RunPlaybookCommand(playbook="ping", wait=True)

        def warm() -> float:
            start = time.perf_counter()
            run = run_playbook(warm_cmd)
            assert run.status.value == "successful", run
            return time.perf_counter() - start

        timed(direct, env)  # warm the page cache and ansible's own caches
        timed(cli, env)
        warm()
        baseline_times, cli_times, warm_times = [], [], []
        for _ in range(runs):
            baseline_times.append(timed(direct, env))
            cli_times.append(timed(cli, env))
            warm_times.append(warm())
        app.shutdown_resources()

    baseline = statistics.median(baseline_times)
    print("| measurement | aiops (median) | baseline (same run) | ratio | target | result |")
    print("|---|---|---|---|---|---|")
    for label, times in (
        ("`aiops run-playbook ping` (fresh CLI process, SQLite)", cli_times),
        ("RunPlaybook ping, warm process (the dashboard's path)", warm_times),
    ):
        median = statistics.median(times)
        ratio = median / baseline
        print(
            f"| {label}, {runs} runs | {median * 1000:,.0f} ms | `ansible-playbook` ping.yml: "
            f"{baseline * 1000:,.0f} ms | {ratio:.2f}x | <= {TARGET}x | "
            f"{'pass' if ratio <= TARGET else '**fail**'} |"
        )


if __name__ == "__main__":
    main()
