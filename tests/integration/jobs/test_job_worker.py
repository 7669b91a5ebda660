"""ThreadedJobWorker with real threads and time, alone and under the JobRunner (over the
in-memory job store): it beats while the work runs, waits out the grace period once told to
stop, and hands back the work's result or its exception."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from aiops.adapters.job_worker import ThreadedJobWorker
from aiops.domain.model.jobs import Job, JobStatus
from aiops.domain.usecases.jobs import JobRunner, RunnerPolicy
from tests.unit.test_jobs import World


def test_the_work_gives_its_result_and_beats_while_it_runs() -> None:
    beats: list[float] = []
    result = ThreadedJobWorker().run(
        lambda: time.sleep(0.35) or "done",
        beat=lambda: beats.append(time.monotonic()),
        every=0.1,
        stop=threading.Event(),
        grace=1,
    )
    assert result == "done"
    assert 2 <= len(beats) <= 4


def test_work_still_running_a_grace_period_after_stop_is_left() -> None:
    stop, unblock = threading.Event(), threading.Event()
    stop.set()
    started = time.monotonic()
    result = ThreadedJobWorker().run(
        lambda: unblock.wait(5), beat=lambda: None, every=10, stop=stop, grace=0.2
    )
    unblock.set()
    assert result is None
    assert 0.2 <= time.monotonic() - started < 2


def test_work_that_ends_within_the_grace_period_gives_its_result() -> None:
    stop = threading.Event()
    stop.set()
    result = ThreadedJobWorker().run(
        lambda: time.sleep(0.1) or 42, beat=lambda: None, every=10, stop=stop, grace=2
    )
    assert result == 42


def test_the_works_exception_is_raised_in_the_callers_thread() -> None:
    def broken() -> str:
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError, match="bug"):
        ThreadedJobWorker().run(
            broken, beat=lambda: None, every=10, stop=threading.Event(), grace=1
        )


def threaded_runner(w: World, owner: str, **policy: object) -> JobRunner:
    return JobRunner(
        store=w.store,
        handlers=w.handlers,
        clock=w.clock,
        worker=ThreadedJobWorker(),
        policy=RunnerPolicy(owner=owner, **policy),  # type: ignore[arg-type]
        events=w.events,
    )


def test_a_running_job_renews_its_lease_so_no_other_runner_takes_it() -> None:
    lease = timedelta(seconds=0.3)  # heartbeat every 0.1 s
    taken: list[int] = []

    def during(job: Job) -> None:
        for _ in range(4):  # 0.4 s of fake time, more than the lease
            w.clock.advance(seconds=0.1)
            time.sleep(0.15)
            taken.append(len(threaded_runner(w, "b", lease=lease).run_once()))

    w = World(during)
    w.add_noop("slow")
    w.clock.advance(minutes=5)
    threaded_runner(w, "a", lease=lease).run_once()
    assert taken == [0, 0, 0, 0]
    assert w.noop.runs == ["slow"]
    assert w.job("slow").last_status is JobStatus.OK


def test_a_job_still_running_after_the_grace_period_is_released() -> None:
    stop, unblock = threading.Event(), threading.Event()

    def during(job: Job) -> None:
        stop.set()
        unblock.wait(5)

    w = World(during)
    w.add_noop("stuck")
    w.clock.advance(minutes=5)
    started = time.monotonic()
    outcomes = threaded_runner(w, "a", grace=0.2).run_once(stop)
    unblock.set()
    assert outcomes == [None]
    assert time.monotonic() - started < 2
    assert w.job("stuck").lease_owner is None
    assert w.events.lines[-1] == "released stuck: still running 0.2 s after stop"
