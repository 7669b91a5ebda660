"""Agent events accepted by one server (issue 18): the target is 1,000 events/s without
dropping any, over the unix socket (AIOPS_EVENT_SOCKET) and over HTTP
(POST /api/v1/agent-events), on SQLite or PostgreSQL.

A real server (uvicorn + create_app, a subprocess) on a fresh database; SESSIONS sessions of
one Linux account (a throwaway one as root, else the current user). The socket's clients run
AS that account (the server checks SO_PEERCRED), CONNECTIONS connections each pipelining its
share of the events; HTTP clients post with keep-alive, CONCURRENCY at a time. Every event is
counted back from agent_events afterwards: accepted == stored == sent, or the run fails.
Also: hook event -> visible through the API (GET /api/v1/sessions/{id}/events), p50/p95.

    .venv/bin/python bench/agent_events.py [--database-url URL] [--events N] [--output FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pwd
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

CLIENT = r"""
import asyncio, json, sys, time
path, connections, payload = sys.argv[1], int(sys.argv[2]), sys.stdin.buffer.read()
lines = payload.splitlines(keepends=True)
async def one(chunk):
    reader, writer = await asyncio.open_unix_connection(path)
    writer.write(b"".join(chunk)); await writer.drain()
    replies = [json.loads(await reader.readline()) for _ in chunk]
    writer.close()
    return replies
async def main():
    start = time.perf_counter()
    parts = [lines[i::connections] for i in range(connections)]
    done = await asyncio.gather(*(one(p) for p in parts if p))
    seconds = time.perf_counter() - start
    replies = [r for part in done for r in part]
    ok = sum(1 for r in replies if r.get("ok"))
    print(json.dumps({"sent": len(lines), "accepted": ok, "seconds": seconds,
                      "errors": [r for r in replies if not r.get("ok")][:3]}))
asyncio.run(main())
"""


def account() -> tuple[str, int, int, bool]:
    if os.geteuid() != 0:
        entry = pwd.getpwuid(os.getuid())
        return entry.pw_name, entry.pw_uid, entry.pw_gid, False
    name = f"aiops-be-{secrets.token_hex(3)}"
    subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
    entry = pwd.getpwnam(name)
    return name, entry.pw_uid, entry.pw_gid, True


def event(session_id: int, token: str | None, name: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "session_id": session_id,
        "tool": "claude",
        "event": name,
        "event_id": secrets.token_hex(16),
        "sent_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "detail": {"message": "bench"},
    }
    return body | ({"token": token} if token else {})


NAMES = ("UserPromptSubmit", "Notification", "Stop")


def seed(sessions: int, linux_user: str) -> tuple[list[tuple[int, str]], str]:
    """(session id, token) per session, and a personal access token that sees them."""
    from aiops.container import bootstrap
    from aiops.domain.model.projects import Project
    from aiops.domain.model.sessions import AgentSession, Tool
    from aiops.domain.model.tenants import Tenant
    from aiops.domain.model.users import User
    from aiops.domain.usecases.auth import CreateTokenCommand

    app = bootstrap()
    with app.uow() as uow:
        tenant = uow.tenants.add(Tenant(slug="bench", name="Bench"))
        project = uow.projects.add(Project(tenant_id=tenant.id or 0, slug="web", name="Web"))
        user = uow.users.add(User(email="b@example.com", name="B", username="bench", is_admin=True))
        made = [
            uow.agent_sessions.add(
                AgentSession(
                    user_id=user.id or 0,
                    project_id=project.id or 0,
                    tool=Tool.CLAUDE,
                    linux_user=linux_user,
                    tmux_socket="/nonexistent/tmux",
                    tmux_session="web-p1",
                    tmux_window=f"bench-claude-i{n}",
                    started_at=datetime.now(UTC),
                )
            )
            for n in range(sessions)
        ]
        uow.commit()
    tokens = app.session_tokens()
    pat = app.create_token()(CreateTokenCommand(email="b@example.com", name="bench")).secret
    return [(s.id or 0, tokens.issue(s.id or 0, linux_user)) for s in made], pat


def stored() -> int:
    from aiops.adapters.sqlalchemy import tables as t
    from aiops.container import bootstrap

    with bootstrap().engine().connect() as connection:
        return int(connection.execute(select(func.count()).select_from(t.agent_events)).scalar())


async def over_http(url: str, events: list[tuple[dict[str, Any], str]], concurrency: int) -> dict:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        gate = asyncio.Semaphore(concurrency)

        async def post(body: dict[str, Any], token: str) -> int:
            async with gate:
                headers = {"Authorization": f"Bearer {token}"}
                sent = await client.post("/api/v1/agent-events", json=body, headers=headers)
                return sent.status_code

        start = time.perf_counter()
        codes = await asyncio.gather(*(post(b, t) for b, t in events))
        seconds = time.perf_counter() - start
    return {"sent": len(events), "accepted": codes.count(202), "seconds": seconds}


def visible_latency(url: str, pairs: list[tuple[int, str]], pat: str, n: int) -> dict:
    """Hook event (POST, as the hook command sends it) -> its status in
    GET /api/v1/sessions/{id}/events (the bench has no tmux window: a pane reading would
    end the session, so the history is read rather than the session)."""
    waits = []
    with httpx.Client(base_url=url) as client:
        for i in range(n):
            session_id, token = pairs[i % len(pairs)]
            body = event(session_id, None, NAMES[i % 3])
            start = time.perf_counter()
            sent = client.post(
                "/api/v1/agent-events", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            assert sent.status_code == 202, sent.text
            while True:
                listed = client.get(
                    f"/api/v1/sessions/{session_id}/events",
                    headers={"Authorization": f"Bearer {pat}"},
                ).json()
                if listed and listed[0]["event"] == body["event"]:
                    break
            waits.append(time.perf_counter() - start)
    waits.sort()
    return {
        "p50_ms": round(statistics.median(waits) * 1000, 1),
        "p95_ms": round(waits[int(len(waits) * 0.95) - 1] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--output")
    args = parser.parse_args()
    place = Path(tempfile.mkdtemp(prefix="aiops-bench-events-"))
    place.chmod(0o711)
    sock, port = str(place / "run" / "events.sock"), 18000 + secrets.randbelow(1000)
    name, uid, gid, made = account()
    env = {
        "AIOPS_INSTANCE_PATH": str(place / "instance"),
        "AIOPS_DATABASE_URL": args.database_url or f"sqlite:///{place / 'aiops.db'}",
        "AIOPS_SECRET_KEY": secrets.token_urlsafe(48),
        "AIOPS_EVENT_SOCKET": sock,
        "AIOPS_URL": f"http://127.0.0.1:{port}",
        "AIOPS_LOG_LEVEL": "warning",
    }
    os.environ.update(env)
    from aiops.adapters.sqlalchemy.migrations import upgrade
    from aiops.container import bootstrap

    upgrade(bootstrap().engine())
    server = subprocess.Popen(
        [sys.executable, "-c", "import uvicorn; from aiops.entrypoints.http.app import "
         f"create_app; uvicorn.run(create_app(), port={port}, log_level='warning')"],
        env=os.environ.copy(),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not Path(sock).exists():
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.1)
        pairs, pat = seed(args.sessions, name)  # after start: no reconcile ends them
        lines = b"".join(
            json.dumps(event(*pairs[i % len(pairs)], NAMES[i % 3])).encode() + b"\n"
            for i in range(args.events)
        )
        client = subprocess.run(
            ["/usr/bin/python3", "-I", "-c", CLIENT, sock, str(args.connections)],
            input=lines, capture_output=True, check=True, user=uid, group=gid, cwd="/",
        )  # fmt: skip
        over_socket = json.loads(client.stdout)
        after_socket = stored()
        http_events = [
            (event(s, None, NAMES[i % 3]), t)
            for i, (s, t) in enumerate(pairs[i % len(pairs)] for i in range(args.events // 2))
        ]
        over_web = asyncio.run(over_http(env["AIOPS_URL"], http_events, args.concurrency))
        total = stored()
        latency = visible_latency(env["AIOPS_URL"], pairs, pat, 100)
        result = {
            "database": env["AIOPS_DATABASE_URL"].split(":", 1)[0],
            "socket": over_socket
            | {"per_second": round(over_socket["accepted"] / over_socket["seconds"])},
            "http": over_web | {"per_second": round(over_web["accepted"] / over_web["seconds"])},
            "stored": {"after_socket": after_socket, "total": total},
            "visible_through_api": latency,
        }
        assert after_socket == over_socket["accepted"] == over_socket["sent"], result
        assert total - after_socket == over_web["accepted"] == over_web["sent"], result
    finally:
        server.terminate()
        server.wait(10)
        if made:
            subprocess.run(["userdel", "-r", name], check=False, capture_output=True)
    text = json.dumps(result, indent=2)
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n")


if __name__ == "__main__":
    main()
