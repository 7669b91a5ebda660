"""1,000 due no-op jobs dispatched by 2 runner processes on PostgreSQL (target: all done,
each exactly once, in < 10 s), beside a bare SQL loop doing the same claims and updates.

The runners are real scheduler processes (tests/integration/jobs/noop_runner.py: the
`aiops scheduler run` entrypoint plus the test-only `noop` kind, which appends a line per run
to a file). They start first and poll every 50 ms; the clock starts when one UPDATE makes the
1,000 jobs due and stops when the 1,000th run has been recorded, so process start-up is not
counted. The baseline, in this process: the same 1,000 rows claimed 10 at a time with
`SELECT ... FOR UPDATE SKIP LOCKED` + UPDATE, then finished one UPDATE each, on two
connections in two threads (as two runners would).

    AIOPS_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1/postgres \
        .venv/bin/python bench/jobs.py [--runs 3] [--jobs 1000]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url, or_, select, update

from aiops.adapters.sqlalchemy import migrations
from aiops.adapters.sqlalchemy import tables as t
from aiops.adapters.sqlalchemy.engine import make_engine
from aiops.adapters.sqlalchemy.jobs import SqlJobRepository
from aiops.domain.model.jobs import Job, Schedule

ROOT = Path(__file__).parents[1]
TARGET_SECONDS = 10.0


def fresh_database(server: str) -> tuple[str, Engine]:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"aiops_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    return url, make_engine(url)


def drop_database(server: str, url: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(
            f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'
        )
    admin.dispose()


def add_jobs(engine: Engine, count: int) -> None:
    later = datetime.now(UTC) + timedelta(days=1)
    with engine.begin() as connection:
        jobs = SqlJobRepository(connection)
        for number in range(count):
            jobs.add(Job(name=f"noop-{number:04d}", kind="noop", next_run=later,
                         schedule=Schedule(every_seconds=86400)))  # fmt: skip


def reset(engine: Engine, *, due: bool) -> None:
    moment = datetime.now(UTC) + (timedelta(0) if due else timedelta(days=1))
    with engine.begin() as connection:
        connection.execute(
            update(t.jobs).values(
                next_run=moment, last_status=None, lease_owner=None, lease_until=None
            )
        )


def ended(runs: Path) -> list[str]:
    if not runs.exists():
        return []
    return [line for line in runs.read_text().splitlines() if line.startswith("end ")]


def one_run(
    url: str, engine: Engine, count: int, work: Path
) -> tuple[float, Counter[str], set[str]]:
    runs = work / f"runs-{uuid.uuid4().hex[:6]}.txt"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")},
           "AIOPS_DATABASE_URL": url, "AIOPS_INSTANCE_PATH": str(work / "instance"),
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    reset(engine, due=False)
    logs = [work / f"runner-{n}.log" for n in (1, 2)]
    processes = []
    for n, log in enumerate(logs, 1):
        with log.open("wb") as out:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "tests.integration.jobs.noop_runner", "--runs", str(runs),
                 "--owner", f"runner-{n}", "--poll", "0.05"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not all("lease" in log.read_text() for log in logs):
            assert time.monotonic() < deadline, "the runners did not start"
            time.sleep(0.05)
        started = time.perf_counter()
        reset(engine, due=True)
        while len(ended(runs)) < count:
            assert time.perf_counter() - started < 120, f"only {len(ended(runs))} runs"
            time.sleep(0.005)
        took = time.perf_counter() - started
        time.sleep(0.3)  # a second run of any job would show up now
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(30)
    lines = ended(runs)
    return took, Counter(line.split()[1] for line in lines), {line.split()[2] for line in lines}


def bare_sql(engine: Engine, count: int) -> float:
    """The same claims and updates without aiops: two connections (threads) like the two
    runners, 10 rows per claim, one UPDATE per finished row."""
    reset(engine, due=True)
    c = t.jobs.c
    done: list[int] = []

    def loop(owner: str) -> None:
        with engine.connect() as connection:
            while True:
                now = datetime.now(UTC)
                free = or_(c.lease_until.is_(None), c.lease_until <= now)
                with connection.begin():
                    ids = list(connection.scalars(
                        select(c.id).where(c.enabled, c.next_run <= now, free)
                        .order_by(c.next_run, c.id).limit(10).with_for_update(skip_locked=True)))  # fmt: skip
                    if not ids:
                        return
                    connection.execute(update(t.jobs).where(c.id.in_(ids)).values(
                        lease_owner=owner, lease_until=now + timedelta(seconds=30)))  # fmt: skip
                for job_id in ids:
                    with connection.begin():
                        finish = update(t.jobs).where(c.id == job_id, c.lease_owner == owner)
                        connection.execute(finish.values(
                            lease_owner=None, lease_until=None, last_status="ok",
                            next_run=now + timedelta(days=1)))  # fmt: skip
                    done.append(job_id)

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(f"bare-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - started
    assert sorted(done) == sorted(set(done)), "the bare loop ran a row twice"
    assert len(done) == count, len(done)
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1000)
    args = parser.parse_args()
    server = os.environ.get("AIOPS_TEST_POSTGRES_URL")
    if not server:
        print("bench/jobs.py: set AIOPS_TEST_POSTGRES_URL to a PostgreSQL server", file=sys.stderr)
        return 1
    url, engine = fresh_database(server)
    try:
        migrations.upgrade(engine)
        add_jobs(engine, args.jobs)
        times, baselines = [], []
        with tempfile.TemporaryDirectory(prefix="aiops-bench-jobs-") as folder:
            for _ in range(args.runs):
                took, done, owners = one_run(url, engine, args.jobs, Path(folder))
                assert len(done) == args.jobs, "a job was missed"
                assert set(done.values()) == {1}, "a job ran twice"
                assert owners == {"runner-1", "runner-2"}, owners
                times.append(took)
                baselines.append(bare_sql(engine, args.jobs))
        median, base = statistics.median(times), statistics.median(baselines)
    finally:
        engine.dispose()
        drop_database(server, url)
    passed = median < TARGET_SECONDS
    print("| measurement | aiops (median) | baseline (same run) | ratio | target | result |")
    print("| --- | ---: | --- | --- | --- | --- |")
    print(
        f"| {args.jobs:,} due no-op jobs, 2 runner processes (PostgreSQL), each once | "
        f"{args.jobs / median:,.0f} jobs/s ({median:.2f} s) | bare SQL claim+update, 2 connections: "
        f"{args.jobs / base:,.0f} jobs/s ({base:.2f} s) | {median / base:.1f}x | < 10 s | "
        f"{'pass' if passed else 'FAIL'} |"
    )
    print(f"runs: {', '.join(f'{x:.2f} s' for x in times)}; baseline: "
          f"{', '.join(f'{x:.2f} s' for x in baselines)}")  # fmt: skip
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
