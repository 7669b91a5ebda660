"""Live status (issue 18): what the session stream costs and how soon a change reaches pages.

On a database holding 1,000 live sessions (one project, 10 users) and 20,000 agent events:
1. the change marker every stream polls (one statement; p50/p95 of 500 reads), target p95 < 5 ms;
2. the board a stream reads when the marker moved, for an admin (every session) and for a
   member (their own and shared ones), p50/p95 of 50 reads;
3. fan-out: 50 streams open on one in-process server (uvicorn), a status stored as the
   agent-event use case stores it, and the time until each stream has it (p50/p95 over 10
   changes x 50 streams), target p95 < 1 s.
SQLite always; PostgreSQL with --postgres (a database made on AIOPS_TEST_POSTGRES_URL's
server, else the local one, and dropped).

    .venv/bin/python bench/live_status.py [--postgres] [--quick] [--output FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import httpx
import uvicorn
from sqlalchemy import insert

from aiops import bootstrap
from aiops.adapters.sqlalchemy import migrations
from aiops.adapters.sqlalchemy import tables as t
from aiops.config import load_settings
from aiops.container import Container
from aiops.domain.model.sessions import AgentSession, AgentStatus, StatusSource, Tool
from aiops.domain.usecases._lookups import actor_for
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.projects import CreateProjectCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand, SetPasswordCommand
from aiops.entrypoints.http.app import create_app
from aiops.entrypoints.http.live import board_text
from load import postgres_database

PASSWORD = "correct horse battery staple"
ADMIN = "ada@example.com"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
T0 = datetime(2026, 12, 1, tzinfo=UTC)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def timed(fn: Callable[[], object], times: int) -> dict[str, float]:
    took = []
    for _ in range(times):
        started = time.perf_counter()
        fn()
        took.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(statistics.median(took), 2), "p95_ms": round(percentile(took, 0.95), 2)}


@contextmanager
def database(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'aiops.db'}"
        return
    with postgres_database() as url:  # made on AIOPS_TEST_POSTGRES_URL's server, then dropped
        yield url


def populate(app: Container, sessions: int, events: int) -> list[AgentSession]:
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    project = app.create_project()(CreateProjectCommand(tenant="acme", slug="web", name="Web"))
    assert project.id is not None
    emails = [ADMIN] + [f"user{n}@example.com" for n in range(9)]
    users = []
    for email in emails:
        users.append(
            app.create_user()(CreateUserCommand(email=email, name=email, is_admin=email == ADMIN))
        )
        app.set_password()(SetPasswordCommand(email=email, password=PASSWORD))
        if email != ADMIN:
            app.add_member()(AddMemberCommand(tenant="acme", email=email, role="member"))
    made = []
    with app.uow() as uow:
        for n in range(sessions):
            user = users[n % len(users)]
            assert user.id is not None
            made.append(
                uow.agent_sessions.add(
                    AgentSession(
                        user_id=user.id,
                        project_id=project.id,
                        tool=Tool.CLAUDE,
                        linux_user=f"u{n % len(users)}",
                        tmux_socket="/tmp/tmux-1000/default",
                        tmux_session="web-p1",
                        tmux_window=f"w{n}",
                        started_at=T0,
                        shared=n % 7 == 0,
                    )
                )
            )
        uow.commit()
    rows = [
        {"session_id": made[n % len(made)].id, "event_id": secrets.token_hex(16),
         "event": "Stop", "status": "finished", "source": "hook",
         "at": T0 + timedelta(seconds=n)}
        for n in range(events)
    ]  # fmt: skip
    with app.engine().begin() as connection:
        connection.execute(insert(t.agent_events), rows)
    return made


def store(app: Container, session: AgentSession, status: AgentStatus) -> AgentSession:
    now = datetime.now(UTC)
    changed = attrs.evolve(
        session, status=status, status_since=now, status_source=StatusSource.HOOK
    )
    with app.uow() as uow:
        uow.agent_sessions.update(changed)
        uow.commit()
    with app.engine().begin() as connection:
        connection.execute(
            insert(t.agent_events).values(
                session_id=session.id, event_id=secrets.token_hex(16), event="Notification",
                status=status.value, source="hook", at=now,
            )
        )  # fmt: skip
    return changed


@contextmanager
def served(app: Container) -> Iterator[str]:
    server_socket_port = _free_port()
    config = uvicorn.Config(create_app(app), host="127.0.0.1", port=server_socket_port,
                            log_level="warning", timeout_graceful_shutdown=2)  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server_socket_port}"
    finally:
        server.should_exit = True
        thread.join(15)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def fan_out(
    base: str, app: Container, target: AgentSession, streams: int, changes: int
) -> list[float]:
    """Seconds from each stored change to its arrival on each stream."""
    async with httpx.AsyncClient(base_url=base) as login:
        page = await login.get("/login")
        token = CSRF.search(page.text)
        assert token
        await login.post("/login", data={"email": ADMIN, "password": PASSWORD,
                                          "csrf_token": token.group(1)})  # fmt: skip
        cookies = login.cookies
    stored: list[tuple[str, float]] = []
    lags: list[float] = []
    ready = asyncio.Event()
    connected = 0

    async def follow() -> None:
        nonlocal connected
        seen = 0
        limits = httpx.Limits(max_connections=1)
        async with (
            httpx.AsyncClient(base_url=base, cookies=cookies, timeout=60, limits=limits) as client,
            client.stream("GET", "/events/sessions") as response,
        ):
            data = ""
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    data = line[6:]
                    continue
                if line or not data:
                    continue
                board = json.loads(data)
                data = ""
                if seen == 0:
                    connected += 1
                    if connected == streams:
                        ready.set()
                else:
                    status = next(s["status"] for s in board["sessions"] if s["id"] == target.id)
                    at = next((when for want, when in stored[seen - 1 :] if want == status), None)
                    if at is not None:
                        lags.append(time.monotonic() - at)
                seen += 1
                if seen > changes:
                    return

    async def change() -> None:
        nonlocal target
        await ready.wait()
        for n in range(changes):
            await asyncio.sleep(0.6)
            status = AgentStatus.WAITING if n % 2 == 0 else AgentStatus.WORKING
            stored.append((status.value, time.monotonic()))
            target = await asyncio.to_thread(store, app, target, status)

    await asyncio.wait_for(
        asyncio.gather(change(), *(follow() for _ in range(streams))), timeout=120
    )
    return lags


def measure(backend: str, quick: bool) -> dict[str, Any]:
    sessions, events, streams, changes = (200, 2_000, 10, 4) if quick else (1_000, 20_000, 50, 10)
    with tempfile.TemporaryDirectory(prefix="aiops-bench-live-") as tmp:
        folder = Path(tmp)
        with database(backend, folder) as url:
            settings = load_settings(
                database_url=url, instance_path=folder / "instance", workspace_root=folder / "home",
                argon2_time_cost=2, argon2_memory_kib=19 * 1024, argon2_parallelism=1,
                session_refresh_seconds=0, log_level="warning",
            )  # fmt: skip
            app = bootstrap(settings)
            migrations.upgrade(app.engine())
            made = populate(app, sessions, events)
            with app.uow(read_only=True) as uow:
                admin = actor_for(uow, uow.users.get_by_email(ADMIN))  # type: ignore[arg-type]
                member = actor_for(uow, uow.users.get_by_email("user0@example.com"))  # type: ignore[arg-type]
            marker, board = app.session_changes(), app.session_board()
            result: dict[str, Any] = {
                "backend": backend, "sessions": sessions, "events": events,
                "marker": timed(marker, 100 if quick else 500),
                "board_admin": timed(lambda: board(admin), 10 if quick else 50),
                "board_member": timed(lambda: board(member), 10 if quick else 50),
                "board_bytes_admin": len(board_text(board(admin)).encode()),
            }  # fmt: skip
            with served(app) as base:
                lags = asyncio.run(fan_out(base, app, made[0], streams, changes))
            result["fan_out"] = {
                "streams": streams, "changes": changes, "arrivals": len(lags),
                "p50_ms": round(statistics.median(lags) * 1000, 1),
                "p95_ms": round(percentile(lags, 0.95) * 1000, 1),
                "max_ms": round(max(lags) * 1000, 1),
            }  # fmt: skip
            app.shutdown_resources()
            app.engine().dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL too")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    results = [measure("sqlite", args.quick)]
    if args.postgres:
        results.append(measure("postgresql", args.quick))
    text = json.dumps(results, indent=2)
    print(text)
    if args.output:
        args.output.write_text(text)
    sys.exit(0)


if __name__ == "__main__":
    main()
