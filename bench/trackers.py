"""Issue sync against the fake GitHub over real HTTP, the fake in a process of its own (so it
does not share this one's interpreter lock, as a real GitHub would not).

1. The adapter alone: a first listing of 10,000 issues is exactly 100 requests (100 per page);
   the same listing with its ETag is 1 request, answered 304.
2. SyncIssues end to end on SQLite (fetch, plan, write): issues/s for the first sync
   (target >= 2,000/s); after one settling incremental sync, an idle sync is 1 request, 304.

    .venv/bin/python bench/trackers.py [--quick] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))  # the fake GitHub lives with the tests
FAKE = """
import sys, uvicorn
sys.path.insert(0, {root!r})
from tests.integration.trackers.fake_github import FakeGitHub, make_app
fake = FakeGitHub()
for _ in range({count}):
    fake.add_issue("acme/web")
uvicorn.run(make_app(lambda: fake), host="127.0.0.1", port={port}, log_level="warning",
            access_log=False, lifespan="off")
"""


@contextmanager
def fake_github(count: int) -> Iterator[str]:
    from dashboard import free_port

    port = free_port()
    code = FAKE.format(root=str(ROOT), count=count, port=port)
    process = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(url + "/repos/acme/web", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the fake GitHub did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def adapter_only(url: str, count: int) -> list[dict[str, object]]:
    from tests.integration.trackers.fake_github import TOKEN

    from aiops.adapters.trackers import GitHubTracker
    from aiops.ports.issue_tracker import TrackerTarget

    with GitHubTracker(allow_private_networks=True) as tracker:
        target = TrackerTarget(base_url=url, key="acme/web", token=TOKEN)
        started = time.perf_counter()
        first = tracker.changed_since(target, None, None)
        first_s = time.perf_counter() - started
        again = tracker.changed_since(target, None, first.etag)
    assert len(first.issues) == count, len(first.issues)
    assert first.requests == count // 100, first.requests
    assert again.not_modified
    assert again.requests == 1
    return [
        {
            "measurement": f"adapter: list {count:,} issues ({first.requests} requests)",
            "seconds": round(first_s, 3),
            "per_second": round(count / first_s),
        }
    ]


def end_to_end(url: str, count: int) -> list[dict[str, object]]:
    from tests.integration.trackers.fake_github import TOKEN

    from aiops.adapters.sqlalchemy import migrations
    from aiops.config import load_settings
    from aiops.container import bootstrap
    from aiops.domain.usecases.projects import CreateProjectCommand
    from aiops.domain.usecases.sync_issues import SyncIssuesCommand
    from aiops.domain.usecases.tenants import CreateTenantCommand
    from aiops.domain.usecases.trackers import AddTrackerCommand

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["AIOPS_LOG_LEVEL"] = "warning"
        settings = load_settings(
            instance_path=Path(tmp) / "instance", tracker_allow_private_networks=True
        )
        app = bootstrap(settings)
        migrations.upgrade(app.engine())
        app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
        project = app.create_project()(CreateProjectCommand(tenant="acme", slug="w", name="W"))
        assert project.id is not None
        app.add_tracker()(
            AddTrackerCommand(
                project_id=project.id,
                provider="github",
                base_url=url,
                key="acme/web",
                token=TOKEN,
            )
        )
        sync = app.sync_issues()
        started = time.perf_counter()
        (first,) = sync(SyncIssuesCommand())
        first_s = time.perf_counter() - started
        sync(SyncIssuesCommand())  # the first incremental URL: one 200
        started = time.perf_counter()
        (idle,) = sync(SyncIssuesCommand())
        idle_s = time.perf_counter() - started
        app.shutdown_resources()
    assert first.error is None, first.error
    assert (first.created, first.requests) == (count, count // 100), first
    assert (idle.requests, idle.created, idle.updated, idle.unchanged) == (1, 0, 0, 0), idle
    return [
        {
            "measurement": f"SyncIssues, first sync of {count:,} issues on SQLite "
            f"({first.requests} requests)",
            "seconds": round(first_s, 3),
            "per_second": round(count / first_s),
            "target": ">= 2,000 issues/s",
            "passed": count / first_s >= 2000,
        },
        {
            "measurement": "SyncIssues, idle re-sync (1 request, answered 304)",
            "seconds": round(idle_s, 4),
        },
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 issues instead of 10,000")
    parser.add_argument("--output", type=Path, help="write the figures as JSON here")
    options = parser.parse_args()
    count = 1_000 if options.quick else 10_000
    with fake_github(count) as url:
        rows = adapter_only(url, count) + end_to_end(url, count)
    print(
        "| measurement | seconds | issues/s | target | result |\n| --- | ---: | ---: | --- | --- |"
    )
    for row in rows:
        result = {True: "pass", False: "FAIL"}.get(row.get("passed"), "-")  # type: ignore[arg-type]
        print(
            f"| {row['measurement']} | {row['seconds']} | {row.get('per_second', '')} "
            f"| {row.get('target', 'report')} | {result} |"
        )
    if options.output:
        options.output.write_text(json.dumps({"rows": rows}, indent=2) + "\n")
    # A quick run checks the counts (asserted above), not the speed of a busy machine.
    return 0 if options.quick or all(row.get("passed", True) for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
