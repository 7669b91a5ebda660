"""The dashboard and the projects API under load of data, beside a bare Starlette endpoint.

50 tenants x 20 projects (1,000 projects), an admin signed in. Each server is a real uvicorn
process on 127.0.0.1 (access log off for all three); requests are sequential over one
keep-alive connection; the figure is the median of N requests after a warm-up.
Targets (issue 3): GET / within 4x of the bare endpoint and under 50 ms median.

    .venv/bin/python bench/dashboard.py [--quick] [--output FILE]
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

VENV_BIN = Path(sys.executable).parent
RESULTS = Path(__file__).parent / "results" / "dashboard.json"
BARE_APP = """
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

async def constant(request):
    return PlainTextResponse("ok")

uvicorn.run(Starlette(routes=[Route("/", constant)]), host="127.0.0.1", port={port},
            log_level="warning", access_log=False)
"""


_SERVICE: list[str] = []


def service_user() -> str | None:
    """Started as root, `aiops serve` becomes a service account (docs/security.md): the
    benchmarks make one of their own on first use, removed when they exit. None unless root."""
    if os.geteuid() != 0:
        return None
    if not _SERVICE:
        name = f"aiops-bench-{secrets.token_hex(3)}"
        subprocess.run(
            ["useradd", "--system", "--user-group", "--create-home", "--home-dir",
             f"/tmp/{name}", "--shell", "/usr/sbin/nologin", name],
            check=True, capture_output=True,
        )  # fmt: skip
        _SERVICE.append(name)
        atexit.register(subprocess.run, ["userdel", "-r", name], capture_output=True, check=False)
    return _SERVICE[0]


def as_service(argv: list[str]) -> list[str]:
    """`argv` run as the service account (as root), so that a baseline runs as aiops does."""
    user = service_user()
    return argv if user is None else ["runuser", "-u", user, "--", *argv]


@contextlib.contextmanager
def bench_folder() -> Iterator[Path]:
    """A temporary folder the service account can pass through (removed at the end)."""
    with tempfile.TemporaryDirectory(prefix="aiops-bench-") as tmp:
        os.chmod(tmp, 0o711)  # noqa: S103 - others may pass through, not list
        yield Path(tmp)


def instance_env(instance: Path, **more: str) -> dict[str, str]:
    """The environment of a benchmark's own aiops instance: no AIOPS_* of the caller's, quiet
    logs, and a light argon2 (benchmarks sign in; they do not measure password hashing)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    return env | {
        "AIOPS_INSTANCE_PATH": str(instance),
        "AIOPS_SERVICE_USER": service_user() or "aiops",
        "AIOPS_LOG_LEVEL": "warning",
        "AIOPS_ARGON2_TIME_COST": "2",
        "AIOPS_ARGON2_MEMORY_KIB": "19456",
        "AIOPS_ARGON2_PARALLELISM": "1",
        **more,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(argv: list[str], port: int, env: dict[str, str]) -> Iterator[str]:
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (
                    httpx.get(base + "/healthz" if "aiops" in argv[0] else base + "/").status_code
                    < 500
                ):
                    break
            time.sleep(0.1)
        else:
            raise RuntimeError(
                f"{argv[0]} did not start: {process.stderr.read().decode() if process.stderr else ''}"
            )
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def populate(instance: Path, env: dict[str, str]) -> tuple[str, str]:
    """1,000 projects in 50 tenants, an admin with a password and a token."""
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
    password = "bench password 123"
    app.create_user()(CreateUserCommand(email="admin@example.com", name="Admin", is_admin=True))
    app.set_password()(SetPasswordCommand(email="admin@example.com", password=password))
    token = app.create_token()(CreateTokenCommand(email="admin@example.com", name="bench")).secret
    for t in range(50):
        app.create_tenant()(
            CreateTenantCommand(slug=f"tenant-{t}", name=f"Tenant {t}", color=f"#{t * 5:02x}88cc")
        )
        for p in range(20):
            app.create_project()(
                CreateProjectCommand(
                    tenant=f"tenant-{t}",
                    slug=f"project-{p}",
                    name=f"Project {t}.{p}",
                    repo_url=f"git@git.example.com:t{t}/p{p}.git",
                )
            )
    app.shutdown_resources()
    return password, token


def median_ms(client: httpx.Client, url: str, runs: int, **kwargs: object) -> float:
    for _ in range(max(5, runs // 10)):
        client.get(url, **kwargs)  # type: ignore[arg-type]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url, **kwargs)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    runs = 40 if args.quick else 300
    with bench_folder() as tmp:
        env = instance_env(tmp / "instance")
        print("populating 50 tenants x 20 projects ...", file=sys.stderr, flush=True)
        password, token = populate(tmp, env)
        bare_port, aiops_port = free_port(), free_port()
        bare_argv = [sys.executable, "-c", BARE_APP.format(port=bare_port)]
        aiops_argv = [str(VENV_BIN / "aiops"), "serve", "--port", str(aiops_port)]
        with (
            serving(bare_argv, bare_port, env) as bare,
            serving(aiops_argv, aiops_port, env) as base,
        ):
            with httpx.Client() as client:
                bare_ms = median_ms(client, bare + "/", runs)
            with httpx.Client(base_url=base) as client:
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
                assert csrf, "no CSRF field on /login"
                signed_in = client.post(
                    "/login",
                    data={
                        "email": "admin@example.com",
                        "password": password,
                        "csrf_token": csrf.group(1),
                    },
                )
                assert signed_in.status_code == 303, signed_in.text
                assert client.get("/").text.count('class="project-card"') == 1000
                dashboard_ms = median_ms(client, "/", runs)
                api = client.get("/api/v1/projects", headers={"Authorization": f"Bearer {token}"})
                api_ms = (
                    median_ms(
                        client,
                        "/api/v1/projects",
                        runs,
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    if api.status_code == 200
                    else None
                )
    rows = [
        {
            "measurement": "GET / (dashboard, 1,000 projects)",
            "ms": round(dashboard_ms, 2),
            "ratio": round(dashboard_ms / bare_ms, 2),
            "target": "< 50 ms and <= 4x bare",
            "passed": dashboard_ms < 50 and dashboard_ms / bare_ms <= 4,
        },
        {
            "measurement": "GET /api/v1/projects (1,000 projects)",
            "ms": api_ms and round(api_ms, 2),
            "ratio": api_ms and round(api_ms / bare_ms, 2),
            "target": "report",
            "passed": None,
        },
    ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps({"bare_ms": round(bare_ms, 2), "runs": runs, "rows": rows}, indent=2) + "\n"
    )
    print(
        "| measurement | aiops (median) | bare Starlette endpoint (same run) | ratio | target | result |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        ms = "n/a (route missing)" if r["ms"] is None else f"{r['ms']} ms"
        result = "-" if r["passed"] is None else ("pass" if r["passed"] else "FAIL")
        print(
            f"| {r['measurement']} | {ms} | {bare_ms:.2f} ms | {r['ratio']}x | {r['target']} | {result} |"
        )
    return 0 if rows[0]["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
