"""Session listing and tmux resync through the use cases: SQLite records plus a real tmux server
(run as a throwaway Linux account when root; every tmux client as that account, aiops's
through the launcher in this process), each beside raw tmux in the same run.

1. ListSessions with 100 live sessions on one server: p50 / p95 (target p95 < 50 ms), baseline
   one `tmux list-windows -a` process. (The first listing after a status change writes the new
   statuses; the timed ones find nothing to write, as in steady use.)
2. ResyncTmux with 200 projects, every window in place (nothing to do): median (target < 2 s).
3. ResyncTmux pruning 200 orphan `-p<ID>` sessions of deleted projects: one run.

    .venv/bin/python bench/resync.py [--quick]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiops import bootstrap
from aiops.adapters.sqlalchemy import migrations
from aiops.config import load_settings
from aiops.domain.model.projects import Project
from aiops.domain.model.sessions import AgentSession, Tool, session_name
from aiops.domain.model.tenants import Tenant
from aiops.domain.model.users import User
from aiops.log import configure_logging
from aiops.ports.linux_users import LinuxAccount
from aiops.ports.tmux import WindowSpec
from sessions import bench_account, tmux

Row = tuple[str, str, str, str, bool]


def ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def populate(app: object, account: LinuxAccount, socket: str, first: int, count: int) -> None:
    """`count` projects, each with a recorded codex session whose window runs in tmux."""
    now = datetime.now(UTC)
    with app.uow() as uow:  # type: ignore[attr-defined]
        tenant = uow.tenants.get_by_slug("acme") or uow.tenants.add(
            Tenant(slug="acme", name="Acme", color="#123456")
        )
        user = uow.users.get_by_email("ana@example.com") or uow.users.add(
            User(email="ana@example.com", name="Ana", username="ana",
                 linux_username=account.name)
        )  # fmt: skip
        names = []
        for i in range(first, first + count):
            project = uow.projects.add(Project(tenant_id=tenant.id, slug=f"p{i}", name=f"P{i}"))
            names.append(session_name(project.slug, project.id))
            uow.agent_sessions.add(
                AgentSession(user_id=user.id, project_id=project.id, tool=Tool.CODEX,
                             linux_user=account.name, tmux_socket=socket, tmux_session=names[-1],
                             tmux_window="ana-codex", started_at=now, last_activity=now)
            )  # fmt: skip
        uow.commit()
    if first == 0:  # the server starts as the account; later sessions join it
        app.gateways.tmux_sessions().launch(  # type: ignore[attr-defined]
            WindowSpec(socket=socket, session=names[0], window="ana-codex", account=account,
                       cwd=account.home, argv=("sleep", "600"), login_shell=False)
        )  # fmt: skip
        names = names[1:]
    new_sessions(account, socket, names, "ana-codex")


def new_sessions(account: LinuxAccount, socket: str, names: list[str], window: str) -> None:
    chained: list[str] = []
    for name in names:
        chained += ["new-session", "-d", "-s", name, "-n", window, "sleep 600", ";"]
    for start in range(0, len(chained), 400):  # argv stays short
        part = chained[start : start + 400]
        made = tmux(account, socket, *part[:-1])
        assert made.returncode == 0, made.stderr


def measure(app: Any, account: LinuxAccount, socket: str, runs: int) -> list[Row]:
    rows: list[Row] = []
    populate(app, account, socket, 0, 100)
    time.sleep(5.5)  # past "running": every session now reads as waiting
    app.list_sessions()(project_id=None)  # writes that once
    raw = []
    for _ in range(runs):
        started = time.perf_counter()
        tmux(account, socket, "list-windows", "-a")
        raw.append(ms(started))
    baseline = f"{statistics.median(raw):.1f} ms (`tmux list-windows -a`)"
    listing = []
    for _ in range(runs):
        started = time.perf_counter()
        views = app.list_sessions()(project_id=None)
        listing.append(ms(started))
    assert len(views) == 100
    p95 = statistics.quantiles(listing, n=20)[18]
    rows.append(("ListSessions, 100 live sessions (p50 / p95)",
                 f"{statistics.median(listing):.1f} / {p95:.1f} ms", baseline,
                 "p95 < 50 ms", p95 < 50))  # fmt: skip
    populate(app, account, socket, 100, 100)
    steady = []
    for _ in range(max(3, runs // 5)):
        started = time.perf_counter()
        report = app.resync_tmux()()
        steady.append(ms(started))
    assert not report.recreated, report
    assert not report.pruned, report
    rows.append(("ResyncTmux, 200 projects, nothing to do",
                 f"{statistics.median(steady):.1f} ms", baseline, "< 2 s",
                 statistics.median(steady) < 2000))  # fmt: skip
    new_sessions(account, socket, [f"gone{i}-p{9000 + i}" for i in range(200)], "x")
    started = time.perf_counter()
    report = app.resync_tmux()()
    pruning = ms(started)
    assert len(report.pruned) == 200, report
    rows.append(("ResyncTmux, 200 projects + pruning 200 orphan sessions",
                 f"{pruning:.0f} ms", baseline, "< 2 s", pruning < 2000))  # fmt: skip
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    runs = 10 if parser.parse_args().quick else 50
    configure_logging(level="warning")  # not a line per launcher request
    place = Path(tempfile.mkdtemp(prefix="aiops-bench-resync-"))
    place.chmod(0o1777)  # as /tmp: the account makes its own tmux-<uid> folder here
    rows: list[Row] = []
    try:
        with bench_account() as account:
            socket = str(place / f"tmux-{account.uid}" / "bench")
            settings = load_settings(instance_path=place / "instance", workspace_root=place)
            app = bootstrap(settings)
            migrations.upgrade(app.engine())
            rows = measure(app, account, socket, runs)
            app.shutdown_resources()
            tmux(account, socket, "kill-server")
    finally:
        shutil.rmtree(place, ignore_errors=True)
    print("| measurement | aiops | baseline (same run) | target | result |")
    print("| --- | ---: | --- | --- | --- |")
    for name, value, base, target, passed in rows:
        print(f"| {name} | {value} | {base} | {target} | {'pass' if passed else 'FAIL'} |")
    return 0 if all(row[4] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
