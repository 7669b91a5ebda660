"""A real `aiops serve` under concurrent clients: a burst of writes on SQLite loses nothing and
answers no 5xx; readers and writers together for 30 s on SQLite (one worker) and PostgreSQL
(two workers) get no error and quick reads (bench/load.py drives those)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from tests.accounts import IS_ROOT, open_folder, service_user

AIOPS = str(Path(sys.executable).with_name("aiops"))
T = TypeVar("T")
LOAD = Path(__file__).parents[2] / "bench" / "load.py"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def sqlite_server() -> Iterator[tuple[str, str]]:
    """`aiops serve` (one worker, SQLite) on a fresh instance; its URL and an admin's token."""
    home = open_folder("aiops-load-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")} | {
        "AIOPS_SERVICE_USER": service_user() if IS_ROOT else "aiops",
        "AIOPS_INSTANCE_PATH": str(home / "instance"),
        "AIOPS_LOG_LEVEL": "warning",
    }
    subprocess.run([AIOPS, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([AIOPS, "seed", "--admin-email", "admin@example.com"], env=env,
                   check=True, capture_output=True)  # fmt: skip
    token = subprocess.run(
        [AIOPS, "token", "create", "--email", "admin@example.com", "--name", "load"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    port = _free_port()
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [AIOPS, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, home / "server.log")
        yield base, token
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
        shutil.rmtree(home, ignore_errors=True)


def _wait_until_up(base: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"aiops serve did not come up:\n{log.read_text()[-2000:]}")


async def burst(base: str, token: str, count: int) -> list[tuple[str, httpx.Response]]:
    """`count` tenant creations sent at the same moment, each on its own connection."""
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=120) as c:
        slugs = [f"burst-{n}" for n in range(count)]
        responses = await asyncio.gather(
            *(c.post("/api/v1/tenants", json={"slug": s, "name": s}) for s in slugs)
        )
    return list(zip(slugs, responses, strict=True))


def in_own_loop(work: Coroutine[object, object, T]) -> T:
    """Run `work` on a new event loop in a thread of its own: a test before this one in the same
    worker process may have left a loop marked as running in this thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


def test_200_concurrent_writes_on_sqlite_lose_nothing_and_never_answer_5xx(
    sqlite_server: tuple[str, str],
) -> None:
    base, token = sqlite_server
    headers = {"Authorization": f"Bearer {token}"}

    answered = in_own_loop(burst(base, token, 200))

    statuses = [response.status_code for _slug, response in answered]
    assert [s for s in statuses if s >= 500 and s != 503] == []
    listed = httpx.get(base + "/api/v1/tenants", headers=headers, timeout=30).json()
    stored = {tenant["slug"] for tenant in listed}
    created = {slug for slug, response in answered if response.status_code == 201}
    refused = {slug: response for slug, response in answered if response.status_code != 201}
    assert created <= stored
    for slug, response in refused.items():
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"].isdigit()
        assert response.json()["error"]["code"] == "database_busy"
        assert slug not in stored
    assert len(created) + len(refused) == 200
    assert created, "every write was refused"


def run_load(tmp_path: Path, backend: str) -> dict[str, object]:
    output = tmp_path / "load.json"
    result = subprocess.run(
        [sys.executable, str(LOAD), "--backends", backend, "--clients", "25", "--writers", "5",
         "--duration", "30", "--no-bare", "--quick", "--output", str(output)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    (row,) = json.loads(output.read_text())["rows"]
    assert isinstance(row, dict)
    return row


@pytest.mark.serial  # a latency target: never beside other tests' workers
def test_20_readers_and_5_writers_for_30_s_on_sqlite_get_no_error_and_quick_reads(
    tmp_path: Path,
) -> None:
    row = run_load(tmp_path, "sqlite")

    assert row["non_2xx"] == {}
    assert row["writes"] > 0
    assert row["read_p99_ms"] < 500, row  # type: ignore[operator]


@pytest.mark.serial
@pytest.mark.postgres
def test_20_readers_and_5_writers_for_30_s_on_postgres_with_two_workers(
    tmp_path: Path, postgres_database: str
) -> None:
    del postgres_database  # the server is reachable (else the fixture skips, or fails on CI)
    row = run_load(tmp_path, "postgres")

    assert "2 workers" in str(row["server"])
    assert row["non_2xx"] == {}
    assert row["writes"] > 0
    assert row["read_p99_ms"] < 500, row  # type: ignore[operator]
