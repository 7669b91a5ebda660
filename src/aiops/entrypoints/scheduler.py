"""The scheduler: a JobRunner claiming due jobs until told to stop.

`aiops scheduler run` runs it in the foreground (progress lines on stderr; SIGTERM or SIGINT
stop it gracefully and it exits 0); with AIOPS_SCHEDULER_IN_PROCESS=true the web server runs
it in a background thread. Any number of runners, on any machines, may share one database:
the job leases keep each job to one runner at a time.
"""

from __future__ import annotations

import signal
import sys
import threading
from datetime import timedelta
from types import FrameType
from typing import TextIO

import attrs

from aiops.adapters.errors import AdapterError
from aiops.container import Container
from aiops.domain.model.jobs import Job, JobOutcome
from aiops.domain.usecases.jobs import JobRunner, RunnerPolicy
from aiops.entrypoints.startup import reconcile_runs
from aiops.log import get_logger, scrub

log = get_logger(__name__)


class ReportedEvents:
    """Each claim and outcome as a log event, and as a line on `out` when given."""

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out

    def _say(self, line: str) -> None:
        if self._out is not None:
            print(line, file=self._out, flush=True)

    def claimed(self, job: Job) -> None:
        log.debug("job.claimed", job=job.name, kind=job.kind)
        self._say(f"claimed {job.name} ({job.kind})")

    def finished(self, job: Job, outcome: JobOutcome, recorded: bool) -> None:
        error = scrub(outcome.error) if outcome.error else None
        log.info("job.finished", job=job.name, status=outcome.status.value,
                 duration=round(outcome.duration, 3), recorded=recorded, error=error)  # fmt: skip
        detail = f": {error}" if error else (f" ({outcome.summary})" if outcome.summary else "")
        lost = "; lease lost, not recorded" if not recorded else ""
        self._say(
            f"finished {job.name}: {outcome.status.value} in {outcome.duration:.3f} s{detail}{lost}"
        )

    def released(self, job: Job, reason: str) -> None:
        log.info("job.released", job=job.name, reason=reason)
        self._say(f"released {job.name}: {reason}")


def make_runner(
    container: Container,
    *,
    owner: str | None = None,
    poll: float | None = None,
    lease: float | None = None,
    out: TextIO | None = None,
) -> JobRunner:
    policy: RunnerPolicy = container.runner_policy()
    if lease is not None:
        policy = attrs.evolve(policy, lease=timedelta(seconds=lease), grace=lease / 3)
    if owner:
        policy = attrs.evolve(policy, owner=owner)
    if poll is not None:
        policy = attrs.evolve(policy, poll=poll)
    runner: JobRunner = container.job_runner(policy=policy, events=ReportedEvents(out))
    return runner


def serve(runner: JobRunner, stop: threading.Event, *, once: bool = False) -> None:
    """Claim and run until `stop` (or, with `once`, until nothing is due). A database that
    cannot be reached is logged and tried again after the poll interval."""
    while not stop.is_set():
        try:
            outcomes = runner.run_once(stop)
        except AdapterError as error:
            log.warning("scheduler.unavailable", error=error.message)
            outcomes = []
            if once:
                raise
        if once and not outcomes:
            return
        if not outcomes:
            stop.wait(runner.policy.poll)


def run_in_foreground(
    container: Container,
    *,
    once: bool = False,
    owner: str | None = None,
    poll: float | None = None,
    lease: float | None = None,
    out: TextIO = sys.stderr,
) -> None:
    runner = make_runner(container, owner=owner, poll=poll, lease=lease, out=out)
    p = runner.policy
    reconcile_runs(container, out)  # runs of this host's dead processes: failed, not running
    stop = threading.Event()

    def on_signal(number: int, _frame: FrameType | None) -> None:
        print(f"{signal.Signals(number).name}: stopping (running jobs get {p.grace:g} s)",
              file=out, flush=True)  # fmt: skip
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(f"scheduler {p.owner}: lease {p.lease.total_seconds():g} s, poll {p.poll:g} s"
          f"{', once' if once else ''}", file=out, flush=True)  # fmt: skip
    serve(runner, stop, once=once)
    print(f"scheduler {p.owner}: stopped", file=out, flush=True)


class InProcessScheduler:
    """The runner in a daemon thread of the web server (AIOPS_SCHEDULER_IN_PROCESS)."""

    def __init__(self, container: Container) -> None:
        self._runner = make_runner(container)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=serve, args=(self._runner, self._stop), name="aiops-scheduler", daemon=True
        )

    def start(self) -> None:
        log.info("scheduler.started", owner=self._runner.policy.owner, in_process=True)
        self._thread.start()

    def stop(self) -> None:
        """Claim nothing more; the running job gets the grace period, then its lease goes."""
        self._stop.set()
        self._thread.join(self._runner.policy.grace + 5)
        log.info("scheduler.stopped", owner=self._runner.policy.owner)
