"""Git workspaces through aiops, beside git itself and a bare endpoint, in the same run.

1. Status of a 5,000-file workspace with 10 modified and 10 untracked files:
   `git status --porcelain` (a fresh process each time) is the baseline for
   - the server answering GET /api/v1/projects/{id}/workspace (warm; target <= 2x git), and
   - a fresh `aiops git status` process (target <= 6x git).
2. The dashboard of a user with 200 projects that all have workspaces (snapshots warm),
   beside a bare Starlette endpoint: target < 150 ms median.

Real uvicorn servers on 127.0.0.1, requests sequential over one keep-alive connection.

    .venv/bin/python bench/workspaces.py [--quick] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from dashboard import (
    BARE_APP,
    VENV_BIN,
    as_service,
    bench_folder,
    free_port,
    instance_env,
    median_ms,
    service_user,
    serving,
)

AIOPS = str(VENV_BIN / "aiops")
RESULTS = Path(__file__).parent / "results" / "workspaces.json"
GIT_ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "AIOPS_"))},
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
}
PASSWORD = "bench password 123"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True)


def make_remote(root: Path, name: str, files: int) -> Path:
    seed = root / f"{name}-seed"
    seed.mkdir(parents=True)
    git(seed, "init", "-q", "-b", "main")
    for i in range(files):
        folder = seed / f"d{i // 100:03d}"
        folder.mkdir(exist_ok=True)
        (folder / f"f{i:05d}.txt").write_text(f"file {i}\n")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "Initial commit")
    bare = root / f"{name}.git"
    git(root, "clone", "-q", "--bare", str(seed), str(bare))
    return bare


def populate(env: dict[str, str], big: Path, small: Path, projects: int) -> tuple[str, list[int]]:
    """An admin with a password and a token; project 0 on the big remote, the rest small."""
    os.environ.update(env)
    from aiops.adapters.sqlalchemy import migrations
    from aiops.config import load_settings
    from aiops.container import bootstrap
    from aiops.domain.usecases.auth import CreateTokenCommand
    from aiops.domain.usecases.projects import CreateProjectCommand
    from aiops.domain.usecases.tenants import CreateTenantCommand
    from aiops.domain.usecases.users import CreateUserCommand, SetPasswordCommand

    app = bootstrap(load_settings())
    migrations.upgrade(app.engine())
    app.create_user()(CreateUserCommand(email="admin@example.com", name="Admin", is_admin=True))
    app.set_password()(SetPasswordCommand(email="admin@example.com", password=PASSWORD))
    token = app.create_token()(CreateTokenCommand(email="admin@example.com", name="bench")).secret
    app.create_tenant()(CreateTenantCommand(slug="bench", name="Bench"))
    ids = []
    for i in range(projects + 1):
        project = app.create_project()(
            CreateProjectCommand(
                tenant="bench",
                slug=f"p{i}",
                name=f"Project {i}",
                repo_url=str(big if i == 0 else small),
            )
        )
        assert project.id is not None
        ids.append(project.id)
    app.shutdown_resources()
    return token, ids


def fresh_median_ms(argv: list[str], runs: int, env: dict[str, str], cwd: Path) -> float:
    subprocess.run(argv, env=env, cwd=cwd, check=True, capture_output=True)  # warm caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def signed_in(client: httpx.Client) -> None:
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert csrf, "no CSRF field on /login"
    response = client.post(
        "/login",
        data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": csrf.group(1)},
    )
    assert response.status_code == 303, response.text


def settle(client: httpx.Client, url: str, timeout: float = 120) -> str:
    """GET until two answers a second apart agree (background refreshes are done)."""
    deadline = time.monotonic() + timeout
    previous = client.get(url).text
    while time.monotonic() < deadline:
        time.sleep(1)
        current = client.get(url).text
        if current == previous and "Checking your workspace" not in current:
            return current
        previous = current
    raise RuntimeError(f"{url} did not settle in {timeout} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, 20 projects")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    runs, cli_runs, projects = (10, 5, 20) if args.quick else (50, 15, 200)
    with bench_folder() as root:
        env = instance_env(root / "instance", AIOPS_WORKSPACE_ROOT=str(root / "home"))
        # The admin has no Linux account: their workspaces are aiops's own account's, which
        # must be able to write the workspace root (as root, aiops serves as a service account).
        (root / "home").mkdir()
        if (service := service_user()) is not None:
            shutil.chown(root / "home", service, service)
        print("making a 5,000-file remote and a small one ...", file=sys.stderr, flush=True)
        big, small = make_remote(root, "big", 5000), make_remote(root, "small", 5)
        if service is not None:  # git clones as that account, and trusts only its own repos
            subprocess.run(
                ["chown", "-R", f"{service}:{service}", str(big), str(small)], check=True
            )
        token, ids = populate(env, big, small, projects)
        bare_port, port = free_port(), free_port()
        with (
            serving(
                [sys.executable, "-c", BARE_APP.format(port=bare_port)], bare_port, env
            ) as bare,
            serving([AIOPS, "serve", "--port", str(port)], port, env) as base,
            httpx.Client(base_url=base, timeout=300) as client,
        ):
            auth = {"Authorization": f"Bearer {token}"}
            print(f"initializing {len(ids)} workspaces ...", file=sys.stderr, flush=True)
            for project_id in ids:
                response = client.post(f"/api/v1/projects/{project_id}/workspace", headers=auth)
                assert response.status_code == 201, response.text
            workspace = root / "home" / "admin" / "workspace" / "p0"
            for i in range(10):
                (workspace / "d000" / f"f{i:05d}.txt").write_text("changed\n")
                (workspace / f"untracked-{i}.txt").write_text("new\n")
            git_ms = fresh_median_ms(
                as_service(["git", "status", "--porcelain"]), runs, GIT_ENV, workspace
            )
            api = f"/api/v1/projects/{ids[0]}/workspace"
            status = client.get(api, headers=auth).json()["status"]
            assert (status["unstaged"], status["untracked"]) == (10, 10), status
            api_ms = median_ms(client, api, runs, headers=auth)
            cli = [
                AIOPS,
                "git",
                "status",
                "--user-email",
                "admin@example.com",
                "--project-id",
                str(ids[0]),
            ]
            cli_ms = fresh_median_ms(cli, cli_runs, env, root)
            with httpx.Client() as plain:
                bare_ms = median_ms(plain, bare + "/", runs)
            signed_in(client)
            page = settle(client, "/")
            assert page.count("ws-branch") == len(ids), "not every card shows its workspace"
            dashboard_ms = median_ms(client, "/", runs)
    rows = [
        row(
            "status via GET /api/v1/projects/{id}/workspace (warm server)",
            api_ms,
            git_ms,
            "git status --porcelain",
            2.0,
        ),
        row(
            "status via `aiops git status` (fresh process)",
            cli_ms,
            git_ms,
            "git status --porcelain",
            6.0,
        ),
        row(
            f"GET / with {len(ids)} workspaces (snapshots warm)",
            dashboard_ms,
            bare_ms,
            "bare Starlette endpoint",
            None,
            limit_ms=150,
        ),
    ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"runs": runs, "rows": rows}, indent=2) + "\n")
    print("| measurement | aiops (median) | baseline (same run) | ratio | target | result |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['measurement']} | {r['ms']:.1f} ms | {r['baseline']}: {r['baseline_ms']:.1f} ms"
            f" | {r['ratio']:.2f}x | {r['target']} | {'pass' if r['passed'] else 'FAIL'} |"
        )
    return 0 if all(r["passed"] for r in rows) else 1


def row(
    label: str,
    ms: float,
    baseline_ms: float,
    baseline: str,
    max_ratio: float | None,
    *,
    limit_ms: float | None = None,
) -> dict[str, object]:
    ratio = ms / baseline_ms
    target = f"<= {max_ratio:g}x" if max_ratio else f"< {limit_ms:g} ms"
    passed = ratio <= max_ratio if max_ratio else ms < (limit_ms or 0)
    return {
        "measurement": label,
        "ms": round(ms, 2),
        "baseline": baseline,
        "baseline_ms": round(baseline_ms, 2),
        "ratio": round(ratio, 2),
        "target": target,
        "passed": passed,
    }


if __name__ == "__main__":
    sys.exit(main())
