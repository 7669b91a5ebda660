"""Concurrent load: N async clients against a real `aiops serve`, on SQLite (one worker) and on
PostgreSQL (two workers), beside a bare Starlette endpoint under the same clients, same run.

Each client (its own keep-alive connection, httpx.AsyncClient) sends requests back to back for
the duration; each request is a write with probability --write-share, else a read:
- reads rotate over GET /api/v1/projects, /api/v1/issues?per_page=20, /api/v1/sessions and
  /api/v1/runs;
- writes rotate over POST /api/v1/tenants, POST /api/v1/projects, PATCH /api/v1/issues/{id}
  (triage) and a signed GitHub webhook delivery (POST /hooks/github).
Reported: requests/s, p50 and p99 of reads and of writes, and every non-2xx by status.
Targets (issue 13), 50 clients, 80/20: SQLite 0 errors and >= 150 req/s; PostgreSQL 0 errors
and >= 1.5x the SQLite figure.

    .venv/bin/python bench/load.py [--quick] [--clients N] [--duration S] [--write-share F]
        [--backends sqlite,postgres] [--output FILE]

PostgreSQL: a database made on AIOPS_TEST_POSTGRES_URL's server (default the local one) and
dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import os
import random
import ssl
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import httpx

from dashboard import BARE_APP, VENV_BIN, bench_folder, free_port, instance_env, serving

RESULTS = Path(__file__).parent / "results" / "load.json"
POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
WEBHOOK_SECRET = "bench-webhook-secret"
READS = ("/api/v1/projects", "/api/v1/issues?per_page=20", "/api/v1/sessions", "/api/v1/runs")
TRIAGE = ("new", "triaged", "in_progress", "resolved")


@attrs.frozen
class World:
    token: str
    connection_ids: tuple[int, ...]


@attrs.define
class Tally:
    """What the clients saw: (kind, status, seconds) per request, and the wall time; and the CPU
    seconds each side spent meanwhile (server, database, the clients themselves, the machine)."""

    samples: list[tuple[str, int, float]] = attrs.Factory(list)
    seconds: float = 0.0
    cpu: dict[str, float] = attrs.Factory(dict)

    def latencies(self, kind: str) -> list[float]:
        return sorted(s for k, _status, s in self.samples if k == kind)

    def failures(self) -> dict[str, int]:
        counted = Counter(status for _k, status, _s in self.samples if not 200 <= status < 300)
        return {str(status): n for status, n in sorted(counted.items())}


TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _pids() -> list[int]:
    return [int(d.name) for d in Path("/proc").iterdir() if d.name.isdigit()]


def listening_pids(port: int) -> list[int]:
    """The processes holding the socket that listens on 127.0.0.1:`port` (a server's master and
    every worker it forked share it)."""
    inodes = {
        line.split()[9]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if line.split()[1].endswith(f":{port:04X}") and line.split()[3] == "0A"
    }
    held = set()
    for pid in _pids():
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                if os.readlink(fd).removeprefix("socket:[").removesuffix("]") in inodes:
                    held.add(pid)
                    break
        except OSError:
            continue
    return sorted(held)


def postgres_pids() -> list[int]:
    found = []
    for pid in _pids():
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "postgres":
                found.append(pid)
        except OSError:
            continue
    return found


def _machine() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / TICK, sum(values) / TICK


@contextmanager
def cpu_meter(port: int, tally: Tally) -> Iterator[None]:
    """Fill `tally.cpu` with the CPU seconds spent while the block runs: by the server on
    `port`, by PostgreSQL's processes, by this process (the clients), and by the machine."""
    server = listening_pids(port)

    def sample() -> dict[str, float]:
        clients = os.times()
        busy, total = _machine()
        return {
            "server": sum(_proc_cpu(p) for p in server),
            "clients": clients.user + clients.system,
            "machine_busy": busy,
            "machine_total": total,
        }

    before, database = sample(), {pid: _proc_cpu(pid) for pid in postgres_pids()}
    yield
    after = sample()
    tally.cpu = {key: after[key] - before[key] for key in before}
    # PostgreSQL forks a backend per connection: those the run opened count whole.
    tally.cpu["database"] = sum(_proc_cpu(p) - database.get(p, 0.0) for p in postgres_pids())


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(len(values) * share))]


def populate(env: dict[str, str]) -> World:
    """An admin with a token; 5 tenants x 4 projects; a GitHub connection with a webhook secret
    and 50 issues on each tenant's first project."""
    os.environ.update(env)
    from aiops.adapters.sqlalchemy import migrations
    from aiops.config import load_settings
    from aiops.container import bootstrap
    from aiops.domain.model.trackers import Issue, IssueState, Provider, RemoteIssue
    from aiops.domain.usecases.auth import CreateTokenCommand
    from aiops.domain.usecases.projects import CreateProjectCommand
    from aiops.domain.usecases.tenants import CreateTenantCommand
    from aiops.domain.usecases.trackers import AddTrackerCommand
    from aiops.domain.usecases.users import CreateUserCommand

    app = bootstrap(load_settings())
    migrations.upgrade(app.engine())
    app.create_user()(CreateUserCommand(email="admin@example.com", name="Admin", is_admin=True))
    token = app.create_token()(CreateTokenCommand(email="admin@example.com", name="load")).secret
    start = datetime(2026, 1, 1, tzinfo=UTC)
    connections = []
    for t in range(5):
        app.create_tenant()(CreateTenantCommand(slug=f"t{t}", name=f"Tenant {t}"))
        projects = [
            app.create_project()(CreateProjectCommand(tenant=f"t{t}", slug=f"p{p}", name="P"))
            for p in range(4)
        ]
        project_id = projects[0].id
        assert project_id is not None
        connection = app.add_tracker()(
            AddTrackerCommand(
                project_id=project_id,
                provider="github",
                base_url="http://127.0.0.1:9",  # discard: a webhook's sync fails at once
                key=f"t{t}/p0",
                token="bench-token",
                webhook_secret=WEBHOOK_SECRET,
            )
        )
        assert connection.id is not None
        connections.append(connection.id)
        issues = [
            Issue(
                connection_id=connection.id,
                project_id=project_id,
                provider=Provider.GITHUB,
                remote=RemoteIssue(
                    external_id=str(n),
                    number=f"#{n}",
                    title=f"Issue {n}",
                    body="",
                    state=IssueState.OPEN,
                    labels=("bug",),
                    created_at=start,
                    updated_at=start + timedelta(seconds=n),
                ),
            )
            for n in range(50)
        ]
        with app.uow() as uow:
            uow.issues.add_many(issues)
            uow.commit()
    app.shutdown_resources()
    return World(token=token, connection_ids=tuple(connections))


class Writes:
    """The write requests, in rotation; every name is new, so every write can succeed."""

    def __init__(self, world: World, issue_ids: list[int], run: str) -> None:
        self._world = world
        self._issues = itertools.cycle(issue_ids)
        self._triage = itertools.cycle(TRIAGE)
        self._hooks = itertools.cycle(world.connection_ids)
        self._run = run
        self._n = itertools.count()

    async def send(self, client: httpx.AsyncClient) -> httpx.Response:
        n = next(self._n)
        kind = n % 4
        if kind == 0:
            body = {"slug": f"l{self._run}-{n}", "name": f"Load {n}"}
            return await client.post("/api/v1/tenants", json=body)
        if kind == 1:
            body = {"tenant": "t1", "slug": f"l{self._run}-{n}", "name": f"Load {n}"}
            return await client.post("/api/v1/projects", json=body)
        if kind == 2:
            issue = next(self._issues)
            body = {"status": next(self._triage), "note": f"load {n}"}
            return await client.patch(f"/api/v1/issues/{issue}", json=body)
        return await self._webhook(client, n)

    async def _webhook(self, client: httpx.AsyncClient, n: int) -> httpx.Response:
        payload = json.dumps({"action": "edited", "n": n}).encode()
        digest = hmac.new(WEBHOOK_SECRET.encode(), payload, hashlib.sha256).hexdigest()
        headers = {
            "X-Hub-Signature-256": f"sha256={digest}",
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-GitHub-Event": "issues",
            "Content-Type": "application/json",
        }
        connection = next(self._hooks)
        return await client.post(
            f"/hooks/github?connection={connection}", content=payload, headers=headers
        )


async def drive(
    tally: Tally,
    base: str,
    *,
    clients: int,
    seconds: float,
    write_share: float,
    headers: dict[str, str],
    writes: Writes | None,
    writers: int | None = None,
    reads: tuple[str, ...] = READS,
) -> Tally:
    """`clients` clients sending back to back for `seconds`; a write with `write_share`, or
    (`writers` set) that many clients only writing and the others only reading; the samples go
    into `tally`."""
    # A client object (and pool) each, one keep-alive connection: each waits for its own answer
    # before it sends again. One TLS context serves them all (httpx would build one each).
    tls = ssl.create_default_context()
    async with contextlib.AsyncExitStack() as stack:
        pool = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=base, headers=headers, timeout=60, verify=tls)
            )
            for _ in range(clients)
        ]

        async def client(index: int) -> None:
            http = pool[index]
            chooser = random.Random(index)
            turn = index % len(reads)
            rotation = itertools.cycle(reads[turn:] + reads[:turn])
            while time.perf_counter() < deadline:
                if writers is not None:
                    write = writes is not None and index < writers
                else:
                    write = writes is not None and chooser.random() < write_share
                started = time.perf_counter()
                if write and writes is not None:
                    response = await writes.send(http)
                else:
                    response = await http.get(next(rotation))
                elapsed = time.perf_counter() - started
                tally.samples.append(("write" if write else "read", response.status_code, elapsed))

        deadline = time.perf_counter() + seconds
        started = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(clients)))
        tally.seconds = time.perf_counter() - started
    return tally


def summary(label: str, tally: Tally, clients: int) -> dict[str, object]:
    reads, writes = tally.latencies("read"), tally.latencies("write")
    return {
        "server": label,
        "clients": clients,
        "requests": len(tally.samples),
        "per_second": round(len(tally.samples) / tally.seconds, 1),
        "read_p50_ms": round(percentile(reads, 0.5) * 1000, 1),
        "read_p99_ms": round(percentile(reads, 0.99) * 1000, 1),
        "write_p50_ms": round(percentile(writes, 0.5) * 1000, 1),
        "write_p99_ms": round(percentile(writes, 0.99) * 1000, 1),
        "writes": len(writes),
        "non_2xx": tally.failures(),
        **cpu_summary(tally),
    }


def cpu_summary(tally: Tally) -> dict[str, object]:
    """CPU milliseconds per request by side, and how busy the machine's cores were: with the
    clients on the same cores, req/s cannot pass cores / (the sum per request)."""
    if not tally.cpu or not tally.samples:
        return {}
    per_request = {
        side: round(tally.cpu[side] * 1000 / len(tally.samples), 2)
        for side in ("server", "database", "clients")
    }
    return {
        "cpu_ms_per_request": per_request,
        "machine_busy": round(tally.cpu["machine_busy"] / tally.cpu["machine_total"], 2),
    }


@contextmanager
def postgres_database() -> Iterator[str]:
    from sqlalchemy import create_engine, make_url

    server = os.environ.get("AIOPS_TEST_POSTGRES_URL") or POSTGRES_SERVER
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"aiops_load_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def measure(
    backend: str, workers: int, args: argparse.Namespace, folder: Path
) -> dict[str, object]:
    database = nullcontext(None) if backend == "sqlite" else postgres_database()
    with database as url:
        more = {"AIOPS_DATABASE_URL": url} if url else {}
        env = instance_env(
            folder / f"instance-{backend}", AIOPS_TRACKER_ALLOW_PRIVATE_NETWORKS="true", **more
        )
        print(f"{backend}: populating ...", file=sys.stderr, flush=True)
        world = populate(env)
        port = free_port()
        argv = [str(VENV_BIN / "aiops"), "serve", "--port", str(port), "--workers", str(workers)]
        headers = {"Authorization": f"Bearer {world.token}"}
        with serving(argv, port, env) as base:
            listed = httpx.get(base + "/api/v1/issues?per_page=100", headers=headers).json()
            issue_ids = [issue["id"] for issue in listed["issues"]]
            writes = Writes(world, issue_ids, run=backend[:2])
            print(f"{backend}: {args.clients} clients for {args.duration} s ...", file=sys.stderr)
            tally = Tally()
            with cpu_meter(port, tally):
                asyncio.run(
                    drive(
                        tally,
                        base,
                        clients=args.clients,
                        seconds=args.duration,
                        write_share=args.write_share,
                        headers=headers,
                        writes=writes,
                        writers=args.writers,
                    )
                )
        label = f"aiops serve, {backend}, {workers} worker{'s' if workers > 1 else ''}"
        return summary(label, tally, args.clients)


def bare(args: argparse.Namespace, env: dict[str, str]) -> dict[str, object]:
    port = free_port()
    with serving([sys.executable, "-c", BARE_APP.format(port=port)], port, env) as base:
        tally = Tally()
        with cpu_meter(port, tally):
            asyncio.run(
                drive(
                    tally,
                    base,
                    clients=args.clients,
                    seconds=args.duration,
                    write_share=0,
                    headers={},
                    writes=None,
                    reads=("/",),
                )
            )
    return summary("bare Starlette endpoint, 1 worker", tally, args.clients)


def cpu_cell(row: dict[str, object]) -> str:
    cpu = row.get("cpu_ms_per_request")
    if not isinstance(cpu, dict):
        return "-"
    return f"{cpu['server']} / {cpu['database']} / {cpu['clients']}"


def verdicts(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    sqlite = next((r for r in rows if ", sqlite," in str(r["server"])), None)
    for r in rows:
        errors = sum(r["non_2xx"].values())  # type: ignore[attr-defined]
        if ", sqlite," in str(r["server"]):
            r["target"] = "0 errors, >= 150 req/s"
            r["passed"] = errors == 0 and float(r["per_second"]) >= 150  # type: ignore[arg-type]
        elif ", postgres," in str(r["server"]) and sqlite is not None:
            floor = 1.5 * float(sqlite["per_second"])  # type: ignore[arg-type]
            r["target"] = f"0 errors, >= 1.5x SQLite ({floor:.0f} req/s)"
            r["passed"] = errors == 0 and float(r["per_second"]) >= floor  # type: ignore[arg-type]
        else:
            r["target"], r["passed"] = "baseline", True
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 s per server; exit 0 on a miss")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, help="seconds per server (20; --quick: 5)")
    parser.add_argument("--write-share", type=float, default=0.2)
    parser.add_argument(
        "--writers", type=int, default=None, help="clients that only write (the rest only read)"
    )
    parser.add_argument("--no-bare", action="store_true", help="skip the bare endpoint")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--postgres-workers", type=int, default=2)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.duration is None:
        args.duration = 5.0 if args.quick else 20.0
    rows = []
    with bench_folder() as folder:
        if not args.no_bare:
            rows.append(bare(args, instance_env(folder / "bare")))
        for backend in args.backends.split(","):
            workers = args.postgres_workers if backend == "postgres" else 1
            rows.append(measure(backend, workers, args, folder))
    rows = verdicts(rows)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    mix = {"write_share": args.write_share, "writers": args.writers}
    args.output.write_text(json.dumps({**mix, "rows": rows}, indent=2))
    print(
        "| server | clients | req/s | read p50 / p99 | write p50 / p99 | non-2xx "
        "| CPU ms a request: server / database / clients | cores busy | target | result |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        failures = ", ".join(f"{s}: {n}" for s, n in r["non_2xx"].items()) or "none"  # type: ignore[attr-defined]
        print(
            f"| {r['server']} | {r['clients']} | {r['per_second']} "
            f"| {r['read_p50_ms']} / {r['read_p99_ms']} ms | {r['write_p50_ms']} / "
            f"{r['write_p99_ms']} ms | {failures} | {cpu_cell(r)} | {r.get('machine_busy', '-')} "
            f"| {r['target']} "
            f"| {'pass' if r['passed'] else 'FAIL'} |"
        )
    return 0 if all(r["passed"] for r in rows) or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
