"""Scheduler processes end to end: two runners sharing 1,000 due jobs on PostgreSQL, a runner
killed with SIGKILL mid-job, a single runner on SQLite, and graceful SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aiops.config import Settings
from aiops.container import Container
from aiops.domain.model.jobs import Job, JobStatus, Schedule

ROOT = Path(__file__).parents[3]
AIOPS = str(Path(sys.executable).with_name("aiops"))
POSTGRES_ONLY = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def add_noop_jobs(app: Container, count: int, *, due: datetime, **params: float) -> None:
    with app.uow() as uow:
        for number in range(count):
            uow.jobs.add(
                Job(
                    name=f"noop-{number:04d}",
                    kind="noop",
                    params=params,
                    schedule=Schedule(every_seconds=3600),
                    next_run=due,
                )
            )
        uow.commit()


class Runners:
    """Runner processes on the test's database; each one's stderr in a file of its own."""

    def __init__(self, settings: Settings, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.runs = tmp_path / "runs.txt"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")},
            "AIOPS_DATABASE_URL": settings.database_url,
            "AIOPS_INSTANCE_PATH": str(settings.instance_path),
            "PYTHONPATH": str(ROOT),
        }
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, owner: str, *args: str) -> subprocess.Popen[bytes]:
        with (self.tmp / f"{owner}.log").open("wb") as log:  # the child keeps its own copy
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.integration.jobs.noop_runner", "--runs",
                 str(self.runs), "--owner", owner, *args],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.started.append(process)
        return process

    def log(self, owner: str) -> str:
        return (self.tmp / f"{owner}.log").read_text()

    def lines(self) -> list[tuple[str, str, str]]:
        if not self.runs.exists():
            return []
        return [tuple(line.split()) for line in self.runs.read_text().splitlines()]  # type: ignore[misc]

    def wait_for(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}: {self.lines()[-5:]}"
            time.sleep(0.05)

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.wait(10)


@pytest.fixture
def runners(settings: Settings, app: Container, tmp_path: Path) -> Iterator[Runners]:
    group = Runners(settings, tmp_path)
    yield group
    group.stop_all()


def jobs_by_name(app: Container) -> dict[str, Job]:
    with app.uow() as uow:
        return {job.name: job for job in uow.jobs.list()}


@POSTGRES_ONLY
@pytest.mark.slow
def test_two_runner_processes_run_each_of_1000_due_jobs_exactly_once(
    app: Container, runners: Runners
) -> None:
    add_noop_jobs(app, 1000, due=datetime.now(UTC) + timedelta(seconds=4))
    first = runners.start("runner-a", "--poll", "0.1")
    second = runners.start("runner-b", "--poll", "0.1")
    ends = lambda: [line for line in runners.lines() if line[0] == "end"]  # noqa: E731
    runners.wait_for(lambda: len(ends()) >= 1000, 60, "1,000 runs")
    time.sleep(0.5)  # a run twice would show up now
    for process in (first, second):
        process.send_signal(signal.SIGTERM)
        assert process.wait(45) == 0  # graceful: seconds, or more on a loaded CI worker
    done = Counter(name for _, name, _ in ends())
    assert len(done) == 1000
    assert set(done.values()) == {1}
    assert {owner for _, _, owner in ends()} == {"runner-a", "runner-b"}
    jobs = jobs_by_name(app)
    assert {job.last_status for job in jobs.values()} == {JobStatus.OK}
    assert {job.lease_owner for job in jobs.values()} == {None}
    assert "claimed noop-" in runners.log("runner-a")
    assert "stopped" in runners.log("runner-b")


@POSTGRES_ONLY
@pytest.mark.slow
def test_a_job_whose_runner_was_killed_runs_again_once_its_lease_expires(
    app: Container, runners: Runners
) -> None:
    add_noop_jobs(app, 1, due=datetime.now(UTC), sleep=2)
    doomed = runners.start("doomed", "--lease", "1.5", "--poll", "0.1")
    runners.wait_for(lambda: ("start", "noop-0000", "doomed") in runners.lines(), 30, "a start")
    doomed.kill()  # SIGKILL: no release, no finish
    doomed.wait(10)
    killed_at = time.monotonic()
    assert jobs_by_name(app)["noop-0000"].lease_owner == "doomed"
    runners.start("heir", "--lease", "1.5", "--poll", "0.1")
    runners.wait_for(lambda: ("end", "noop-0000", "heir") in runners.lines(), 30, "the rerun")
    assert time.monotonic() - killed_at < 1.5 + 2 + 10  # lease + the run + a process start
    runners.wait_for(  # the run's line is written before its result is recorded
        lambda: jobs_by_name(app)["noop-0000"].last_status is JobStatus.OK, 10, "the record"
    )
    assert ("end", "noop-0000", "doomed") not in runners.lines()


def test_a_single_runner_runs_what_is_due_once_and_exits(app: Container, runners: Runners) -> None:
    now = datetime.now(UTC)
    add_noop_jobs(app, 30, due=now - timedelta(seconds=1))
    with app.uow() as uow:
        uow.jobs.add(Job(name="later", kind="noop", schedule=Schedule(every_seconds=60),
                         next_run=now + timedelta(hours=1)))  # fmt: skip
        uow.commit()
    process = runners.start("solo", "--once")
    assert process.wait(60) == 0, runners.log("solo")
    ends = [name for what, name, _ in runners.lines() if what == "end"]
    assert sorted(ends) == [f"noop-{n:04d}" for n in range(30)]
    jobs = jobs_by_name(app)
    assert jobs["later"].last_status is None
    first = jobs["noop-0000"]
    assert first.last_status is JobStatus.OK
    assert first.last_duration is not None
    assert first.last_started_at is not None
    assert first.next_run == first.last_started_at + timedelta(seconds=3600)
    assert "finished noop-0000: ok in " in runners.log("solo")


def test_sigterm_lets_the_running_job_finish_within_the_grace_period(
    app: Container, runners: Runners
) -> None:
    add_noop_jobs(app, 1, due=datetime.now(UTC), sleep=1)
    process = runners.start("graceful", "--lease", "9", "--poll", "0.1")  # grace: 3 s
    runners.wait_for(lambda: any(line[0] == "start" for line in runners.lines()), 30, "a start")
    process.send_signal(signal.SIGTERM)
    assert process.wait(15) == 0
    assert ("end", "noop-0000", "graceful") in runners.lines()
    job = jobs_by_name(app)["noop-0000"]
    assert job.last_status is JobStatus.OK
    assert job.lease_owner is None
    assert "SIGTERM: stopping" in runners.log("graceful")


def test_sigterm_releases_a_job_that_outlasts_the_grace_period(
    app: Container, runners: Runners
) -> None:
    add_noop_jobs(app, 1, due=datetime.now(UTC), sleep=60)
    process = runners.start("impatient", "--lease", "3", "--poll", "0.1")  # grace: 1 s
    runners.wait_for(lambda: any(line[0] == "start" for line in runners.lines()), 30, "a start")
    stopped_at = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(15) == 0
    assert time.monotonic() - stopped_at < 8  # grace 1 s, on a busy machine
    job = jobs_by_name(app)["noop-0000"]
    assert (job.lease_owner, job.last_status) == (None, None)
    assert job.next_run <= datetime.now(UTC)  # still due: the next runner takes it at once
    assert "released noop-0000: still running 1 s after stop" in runners.log("impatient")


def test_the_real_cli_runs_a_shipped_kind_and_reports_it(
    settings: Settings, app: Container, tmp_path: Path
) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")},
           "AIOPS_DATABASE_URL": settings.database_url,
           "AIOPS_INSTANCE_PATH": str(settings.instance_path),
           "AIOPS_TMUX_TMPDIR": str(tmp_path), "AIOPS_TMUX_SOCKET_NAME": "jobs-test"}  # fmt: skip

    def aiops(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([AIOPS, *args], env=env, capture_output=True, text=True,
                              timeout=60, check=False)  # fmt: skip

    assert aiops("jobs", "add", "resync", "--kind", "tmux-resync", "--every", "1s").returncode == 0
    time.sleep(1.1)
    result = aiops("scheduler", "run", "--once")
    assert result.returncode == 0, result.stderr
    assert "claimed resync (tmux-resync)" in result.stderr
    assert "finished resync: ok in " in result.stderr
    assert jobs_by_name(app)["resync"].last_status is JobStatus.OK
    bad = aiops("jobs", "add", "x", "--kind", "reboot", "--every", "1s")
    assert (bad.returncode, bad.stderr.count("\n")) == (1, 1)
    assert bad.stderr.startswith("aiops: error: kind: unknown job kind 'reboot'")
