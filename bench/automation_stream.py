"""A run's events to the browser: latency from an event being stored to an SSE client
receiving it, for a run of 10,000 events, beside reading the same rows from the repository.

`aiops serve` runs as its own process on 127.0.0.1 (SQLite in a temporary instance folder);
this process plays the playbook runner: it stores the events in batches as the run recorder does
(100 events every 50 ms, 2,000 events/s), noting when each batch is committed. At the same time
  - an SSE client (the admin, signed in) reads GET /automation/runs/{id}/events, and
  - the baseline polls the repository directly every 0.15 s (the stream's poll interval),
and each notes when every event reaches it. Latency = received - stored (one monotonic clock).
The SSE client must receive every event once, in order, then `event: end`.
Then a client connecting after the end reads all 10,000 events again (catch-up).
Target (issue 7): event to browser p95 < 2 s, no event dropped.

    .venv/bin/python bench/automation_stream.py [--quick] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from dashboard import VENV_BIN, bench_folder, free_port, instance_env, serving
from workspaces import PASSWORD, signed_in

RESULTS = Path(__file__).parent / "results" / "automation_stream.json"
BATCH = 100
BATCH_SECONDS = 0.05
BASELINE_POLL = 0.15


def populate(env: dict[str, str]) -> tuple[Any, int]:
    """A migrated database with an admin and one running run; the container to write with."""
    os.environ.update(env)
    from aiops.adapters.sqlalchemy import migrations
    from aiops.config import load_settings
    from aiops.container import bootstrap
    from aiops.domain.model.automation import AutomationRun, RunStatus
    from aiops.domain.usecases.users import CreateUserCommand, SetPasswordCommand

    app = bootstrap(load_settings())
    migrations.upgrade(app.engine())
    app.create_user()(CreateUserCommand(email="admin@example.com", name="Admin", is_admin=True))
    app.set_password()(SetPasswordCommand(email="admin@example.com", password=PASSWORD))
    now = datetime.now(UTC)
    with app.uow() as uow:
        run = uow.automation_runs.add(
            AutomationRun(
                playbook="ping",
                inventory="localhost",
                started_by="admin@example.com",
                queued_at=now,
                started_at=now,
                status=RunStatus.RUNNING,
            )
        )
        uow.commit()
    return app, run.id


def play(app: Any, run_id: int, total: int, stored: dict[int, float]) -> None:
    """Store `total` events in batches, as the recorder would, then finish the run."""
    import attrs

    from aiops.domain.model.automation import HostSummary, RunEvent, RunStatus

    for first in range(1, total + 1, BATCH):
        batch = [
            RunEvent(
                run_id=run_id,
                seq=seq,
                event="runner_on_ok",
                host="localhost",
                task=f"step {seq}",
                status="ok",
                stdout=f"ok: [localhost] => step {seq}",
                at=datetime.now(UTC),
            )
            for seq in range(first, min(first + BATCH, total + 1))
        ]
        with app.uow() as uow:
            uow.automation_runs.add_events(batch)
            uow.commit()
        now = time.monotonic()
        stored.update((event.seq, now) for event in batch)
        time.sleep(BATCH_SECONDS)
    with app.uow() as uow:
        run = uow.automation_runs.get(run_id)
        uow.automation_runs.update(
            attrs.evolve(
                run,
                status=RunStatus.SUCCESSFUL,
                rc=0,
                ended_at=datetime.now(UTC),
                summary=(HostSummary(host="localhost", ok=total),),
            )
        )
        uow.commit()


def read_stream(
    client: httpx.Client, url: str, on_event: Callable[[int], None]
) -> tuple[list[int], bool]:
    """Every event id of the stream in arrival order, and whether `event: end` came."""
    seqs: list[int] = []
    fields: dict[str, str] = {}
    with client.stream("GET", url, timeout=120) as response:
        assert response.status_code == 200, response.status_code
        for line in response.iter_lines():
            if line:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
                continue
            if fields.get("event") == "end":
                return seqs, True
            if "id" in fields and "data" in fields:
                seq = int(fields["id"])
                on_event(seq)
                seqs.append(seq)
            fields = {}
    return seqs, False


def poll_repository(app: Any, run_id: int, total: int, received: dict[int, float]) -> None:
    after = 0
    while after < total:
        with app.uow() as uow:
            events = uow.automation_runs.events(run_id, after_seq=after, limit=1000)
        now = time.monotonic()
        for event in events:
            received[event.seq] = now
        if events:
            after = events[-1].seq
        if len(events) < 1000:
            time.sleep(BASELINE_POLL)


def percentiles(lags: list[float]) -> tuple[float, float, float]:
    ordered = sorted(lags)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return statistics.median(ordered) * 1000, p95 * 1000, ordered[-1] * 1000


def measure(base: str, app: Any, run_id: int, total: int) -> list[dict[str, Any]]:
    stored: dict[int, float] = {}
    via_sse: dict[int, float] = {}
    via_repo: dict[int, float] = {}
    url = f"/automation/runs/{run_id}/events"
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        signed_in(client)
        outcome: dict[str, Any] = {}

        def browser() -> None:
            outcome["seqs"], outcome["ended"] = read_stream(
                client, url, lambda seq: via_sse.__setitem__(seq, time.monotonic())
            )

        threads = [
            threading.Thread(target=browser),
            threading.Thread(target=poll_repository, args=(app, run_id, total, via_repo)),
        ]
        for thread in threads:
            thread.start()
        time.sleep(0.5)  # both are waiting before the first event is stored
        started = time.monotonic()
        play(app, run_id, total, stored)
        played = time.monotonic() - started
        for thread in threads:
            thread.join(120)
        complete = outcome.get("seqs") == list(range(1, total + 1)) and outcome.get("ended")
        catch_up_start = time.perf_counter()
        again, ended_again = read_stream(client, url, lambda seq: None)
        catch_up = time.perf_counter() - catch_up_start
    sse = percentiles([via_sse[s] - stored[s] for s in stored if s in via_sse])
    repo = percentiles([via_repo[s] - stored[s] for s in stored if s in via_repo])
    return [
        {
            "measurement": f"run event stored -> SSE client, {total:,} events at "
            f"{total / played:,.0f}/s, p50 / p95 / max",
            "ms": round(sse[0], 1),
            "p95_ms": round(sse[1], 1),
            "max_ms": round(sse[2], 1),
            "baseline": f"repository polled every {BASELINE_POLL} s, p50 / p95",
            "baseline_ms": round(repo[0], 1),
            "baseline_p95_ms": round(repo[1], 1),
            "received": len(outcome.get("seqs", [])),
            "target": "p95 < 2 s, every event once and in order, then the end",
            "passed": bool(complete) and sse[1] < 2000,
        },
        {
            "measurement": f"SSE catch-up: all {total:,} events of a finished run, one client",
            "ms": round(catch_up * 1000, 1),
            "per_second": round(total / catch_up),
            "baseline": "-",
            "baseline_ms": "",
            "received": len(again),
            "target": "every event, then the end",
            "passed": again == list(range(1, total + 1)) and ended_again,
        },
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 events instead of 10,000")
    parser.add_argument("--output", type=Path, default=RESULTS)
    options = parser.parse_args()
    total = 2_000 if options.quick else 10_000
    with bench_folder() as tmp:
        env = instance_env(tmp / "instance")
        app, run_id = populate(env)
        port = free_port()
        argv = [str(VENV_BIN / "aiops"), "serve", "--port", str(port)]
        with serving(argv, port, env) as base:
            rows = measure(base, app, run_id, total)
        app.shutdown_resources()
    print("| measurement | ms (p50) | p95 ms | max ms | baseline | baseline ms | target | result |")
    print("| --- | ---: | ---: | ---: | --- | ---: | --- | --- |")
    for r in rows:
        baseline_ms = (
            f"{r['baseline_ms']} / {r['baseline_p95_ms']}" if "baseline_p95_ms" in r else ""
        )
        print(
            f"| {r['measurement']} | {r['ms']} | {r.get('p95_ms', '')} | {r.get('max_ms', '')} "
            f"| {r['baseline']} | {baseline_ms} | {r['target']} | "
            f"{'pass' if r['passed'] else 'FAIL'} ({r['received']:,} received) |"
        )
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps({"rows": rows}, indent=2) + "\n")
    return 0 if all(r["passed"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
