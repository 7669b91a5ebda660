"""The Issues view with 10,000 issues, filtered and paginated, beside a bare endpoint.

Real uvicorn servers on 127.0.0.1 (aiops serve, and a bare Starlette app), sequential requests
over one keep-alive connection, medians after a warm-up. Target: < 100 ms median.

    .venv/bin/python bench/issues.py [--quick] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from dashboard import BARE_APP, VENV_BIN, free_port, instance_env, median_ms, serving
from workspaces import PASSWORD, signed_in

RESULTS = Path(__file__).parent / "results" / "issues.json"
VIEWS = {
    "GET /issues (newest 50 of all)": "/issues",
    "GET /issues?state=open&label=bug&page=3": "/issues?state=open&label=bug&page=3",
    "GET /issues?q=timeout&sort=created": "/issues?q=timeout&sort=created",
    "GET /issues?incidents=1": "/issues?incidents=1",
}


def populate(env: dict[str, str], count: int) -> None:
    os.environ.update(env)
    from aiops.adapters.sqlalchemy import migrations
    from aiops.config import load_settings
    from aiops.container import bootstrap
    from aiops.domain.model.trackers import Issue, IssueState, Provider, RemoteIssue
    from aiops.domain.usecases.projects import CreateProjectCommand
    from aiops.domain.usecases.tenants import CreateTenantCommand
    from aiops.domain.usecases.trackers import AddTrackerCommand
    from aiops.domain.usecases.users import CreateUserCommand, SetPasswordCommand

    app = bootstrap(load_settings())
    migrations.upgrade(app.engine())
    app.create_user()(CreateUserCommand(email="admin@example.com", name="Admin", is_admin=True))
    app.set_password()(SetPasswordCommand(email="admin@example.com", password=PASSWORD))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for t in range(10):
        app.create_tenant()(CreateTenantCommand(slug=f"t{t}", name=f"Tenant {t}"))
        project = app.create_project()(CreateProjectCommand(tenant=f"t{t}", slug="p", name="P"))
        assert project.id is not None
        connection = app.add_tracker()(
            AddTrackerCommand(
                project_id=project.id,
                provider="github",
                base_url="https://api.github.com",
                key=f"t{t}/p",
                token="bench-token",
            )
        )
        assert connection.id is not None
        batch = [
            Issue(
                connection_id=connection.id,
                project_id=project.id,
                provider=Provider.GITHUB,
                remote=RemoteIssue(
                    external_id=str(n),
                    number=f"#{n}",
                    title=f"{'Request timeout' if n % 17 == 0 else 'Issue'} {n}",
                    body="",
                    state=IssueState.CLOSED if n % 4 == 0 else IssueState.OPEN,
                    labels=("bug",) if n % 2 else (("incident",) if n % 50 == 0 else ()),
                    created_at=start,
                    updated_at=start + timedelta(seconds=n * 10 + t),
                ),
            )
            for n in range(count // 10)
        ]
        with app.uow() as uow:
            uow.issues.add_many(batch)
            uow.commit()
    app.shutdown_resources()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 issues, fewer requests")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    count, runs = (1_000, 20) if args.quick else (10_000, 100)
    with tempfile.TemporaryDirectory() as tmp:
        env = instance_env(Path(tmp) / "instance")
        print(f"populating {count:,} issues ...", file=sys.stderr, flush=True)
        populate(env, count)
        bare_port, port = free_port(), free_port()
        with (
            serving(
                [sys.executable, "-c", BARE_APP.format(port=bare_port)], bare_port, env
            ) as bare,
            serving([str(VENV_BIN / "aiops"), "serve", "--port", str(port)], port, env) as base,
        ):
            with httpx.Client() as plain:
                bare_ms = median_ms(plain, bare + "/", runs)
            with httpx.Client(base_url=base) as client:
                signed_in(client)
                assert client.get("/issues").text.count('class="issue-row') == 50
                figures = {label: median_ms(client, url, runs) for label, url in VIEWS.items()}
    rows = [
        {
            "measurement": f"{label}, {count:,} issues",
            "ms": round(ms, 2),
            "ratio": round(ms / bare_ms, 2),
            "target": "< 100 ms",
            "passed": ms < 100,
        }
        for label, ms in figures.items()
    ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"bare_ms": round(bare_ms, 2), "rows": rows}, indent=2))
    print("| measurement | aiops (median) | bare endpoint (same run) | ratio | target | result |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['measurement']} | {r['ms']} ms | {bare_ms:.2f} ms | {r['ratio']}x "
            f"| {r['target']} | {'pass' if r['passed'] else 'FAIL'} |"
        )
    return 0 if all(r["passed"] for r in rows) or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
