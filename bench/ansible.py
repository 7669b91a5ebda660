"""aiops's overhead over running `ansible-playbook` directly, for the connectivity playbook
(ping.yml) on localhost, both measured in the same run, interleaved (target <= 1.15x):

1. the JSON API of a running `aiops serve`: `POST /api/v1/runs` with a bearer token, then
   `GET /api/v1/runs/{id}` every 20 ms until the run has finished (what a script or the
   dashboard's run form sees: HTTP, sign-in, checks, the run stored, ansible-runner, every
   event stored, the summary);
2. the RunPlaybook use case in a warm process (the path behind the API and the scheduler);
3. `aiops run-playbook ping` in a fresh CLI process (SQLite): the same run plus the CLI's own
   start-up (interpreter, imports, settings, database), reported beside `aiops playbooks list`,
   which is that start-up alone;
baseline: `ansible-playbook -i ansible/inventory/localhost.yml ansible/playbooks/ping.yml`.

    .venv/bin/python bench/ansible.py [--runs N] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from dashboard import as_service, bench_folder, free_port, instance_env, serving

VENV_BIN = Path(sys.executable).parent
AIOPS = str(VENV_BIN / "aiops")
ANSIBLE_DIR = Path(__file__).parents[1] / "ansible"
TARGET = 1.15


def env_for(instance: Path) -> dict[str, str]:
    return instance_env(
        instance,
        AIOPS_ANSIBLE_DIR=str(ANSIBLE_DIR),
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
    )


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def report(times: dict[str, list[float]], runs: int) -> None:
    baseline = statistics.median(times["base"])
    print("| measurement | aiops (median) | baseline (same run) | ratio | target | result |")
    print("|---|---|---|---|---|---|")
    for label, key in (
        ("`POST /api/v1/runs` ping on a running server, until finished", "api"),
        ("RunPlaybook ping, warm process (behind the API and the scheduler)", "warm"),
        ("`aiops run-playbook ping`, fresh CLI process (SQLite)", "cli"),
    ):
        median = statistics.median(times[key])
        ratio = median / baseline
        print(
            f"| {label}, {runs} runs | {median * 1000:,.0f} ms | `ansible-playbook` ping.yml: "
            f"{baseline * 1000:,.0f} ms | {ratio:.2f}x | <= {TARGET}x | "
            f"{'pass' if ratio <= TARGET else '**fail**'} |"
        )
    up = statistics.median(times["up"])
    print(
        f"| ↳ of which the CLI's start-up (`aiops playbooks list`) | {up * 1000:,.0f} ms | | | | |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs

    with bench_folder() as tmp:
        instance = tmp / "instance"
        env = env_for(instance)
        subprocess.run([AIOPS, "db", "upgrade"], check=True, capture_output=True, env=env)
        direct = as_service(  # as the account aiops runs playbooks as
            [
                str(VENV_BIN / "ansible-playbook"),
                "-i",
                str(ANSIBLE_DIR / "inventory" / "localhost.yml"),
                str(ANSIBLE_DIR / "playbooks" / "ping.yml"),
            ]
        )
        cli = [AIOPS, "run-playbook", "ping"]
        startup = [AIOPS, "playbooks", "list"]

        os.environ.update({k: v for k, v in env.items() if k.startswith("AIOPS_")})
        from aiops import bootstrap
        from aiops.domain.usecases.auth import CreateTokenCommand
        from aiops.domain.usecases.automation import RunPlaybookCommand
        from aiops.domain.usecases.users import CreateUserCommand

        app = bootstrap()
        app.create_user()(CreateUserCommand(email="ops@example.com", name="Ops", is_admin=True))
        token = app.create_token()(CreateTokenCommand(email="ops@example.com", name="bench"))
        run_playbook = app.run_playbook()
        warm_cmd = RunPlaybookCommand(playbook="ping", wait=True)

        def warm() -> float:
            start = time.perf_counter()
            run = run_playbook(warm_cmd)
            assert run.status.value == "successful", run
            return time.perf_counter() - start

        port = free_port()
        serve = [AIOPS, "serve", "--port", str(port)]
        with (
            serving(serve, port, env) as base,
            httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {token.secret}"}, timeout=60
            ) as client,
        ):

            def api() -> float:
                start = time.perf_counter()
                created = client.post("/api/v1/runs", json={"playbook": "ping"})
                assert created.status_code == 201, created.text
                url = f"/api/v1/runs/{created.json()['id']}"
                while (run := client.get(url).json())["ended_at"] is None:
                    time.sleep(0.02)
                elapsed = time.perf_counter() - start
                assert run["status"] == "successful", run
                return elapsed

            timed(direct, env)  # warm the page cache and ansible's own caches
            timed(cli, env)
            warm()
            api()
            times: dict[str, list[float]] = {k: [] for k in ("base", "api", "warm", "cli", "up")}
            for _ in range(runs):
                times["base"].append(timed(direct, env))
                times["api"].append(api())
                times["warm"].append(warm())
                times["cli"].append(timed(cli, env))
                times["up"].append(timed(startup, env))
        app.shutdown_resources()

    report(times, runs)


if __name__ == "__main__":
    main()
