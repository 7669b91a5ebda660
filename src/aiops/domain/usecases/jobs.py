"""Scheduled jobs: add, list, run now, enable/disable and remove them (admins), and the
JobRunner that claims due jobs with a lease and runs them.

A runner claims a batch of due jobs, runs each in a worker thread while it renews the lease
every third of the lease, then records the outcome and the next run. On stop it claims
nothing more, gives the running job a grace period to finish, and otherwise releases its
lease so another runner takes it at once.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

import attrs

from aiops.domain.errors import Conflict, DomainError, NotFound, ValidationError
from aiops.domain.model.access import SYSTEM, Actor
from aiops.domain.model.jobs import Job, JobOutcome, JobStatus, Schedule, job_name
from aiops.domain.usecases._audit import record
from aiops.ports.clock import Clock
from aiops.ports.jobs import JobHandler, JobHandlers, JobStore
from aiops.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

PARAMS_MAX = 10_000


def params_from_json(text: str) -> dict[str, Any]:
    """A JSON object given on the command line or in a form."""
    if len(text) > PARAMS_MAX:
        raise ValidationError("params", f"must be at most {PARAMS_MAX} characters")
    try:
        value = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as error:
        raise ValidationError("params", f"is not JSON ({error.msg}, at {error.pos})") from None
    if not isinstance(value, dict):
        raise ValidationError("params", 'must be a JSON object, e.g. {"project_id": 2}')
    return value


def handler_for(handlers: JobHandlers, kind: str) -> JobHandler:
    handler = handlers.get(kind)
    if handler is None:
        known = ", ".join(sorted(handlers))
        raise ValidationError("kind", f"unknown job kind {kind[:40]!r}: use one of {known}")
    return handler


def require_job(uow: UnitOfWork, name: str) -> Job:
    job = uow.jobs.get_by_name(name)
    if job is None:
        raise NotFound(f"job {name[:80]!r} does not exist")
    return job


@attrs.frozen(kw_only=True)
class AddJobCommand:
    name: str
    kind: str
    every: str | None = None  # "5m"
    cron: str | None = None  # "*/15 * * * *"
    timezone: str | None = None  # None: the scheduler's default
    params: Mapping[str, Any] = attrs.field(factory=dict)
    enabled: bool = True
    actor: Actor = SYSTEM


class AddJob:
    def __init__(
        self, *, uow: UnitOfWorkFactory, clock: Clock, handlers: JobHandlers, timezone: str
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._handlers = handlers
        self._timezone = timezone

    def __call__(self, cmd: AddJobCommand) -> Job:
        cmd.actor.require_admin()
        name = job_name(cmd.name)
        params = handler_for(self._handlers, cmd.kind).check(cmd.params)
        schedule = Schedule.parse(
            every=cmd.every, cron=cmd.cron, timezone=cmd.timezone or self._timezone
        )
        now = self._clock.now()
        job = Job(
            name=name,
            kind=cmd.kind,
            schedule=schedule,
            params=params,
            enabled=cmd.enabled,
            next_run=schedule.next_after(now),
        )
        with self._uow() as uow:
            if uow.jobs.get_by_name(name) is not None:
                raise Conflict(f"job {name!r} already exists")
            job = uow.jobs.add(job)
            record(uow, self._clock, actor=cmd.actor.name, action="job.added", target=f"job:{name}",
                   kind=job.kind, schedule=schedule.describe())  # fmt: skip
            uow.commit()
        return job


class ListJobs:
    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, actor: Actor = SYSTEM) -> Sequence[Job]:
        actor.require_admin()
        with self._uow(read_only=True) as uow:
            return uow.jobs.list()


class SetJobEnabled:
    """EnableJob / DisableJob. Enabling schedules the next run from now."""

    enabled = True

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, name: str, actor: Actor = SYSTEM) -> Job:
        actor.require_admin()
        with self._uow() as uow:
            job = require_job(uow, name)
            if job.enabled == self.enabled:
                return job
            next_run = job.schedule.next_after(self._clock.now()) if self.enabled else job.next_run
            job = uow.jobs.update(attrs.evolve(job, enabled=self.enabled, next_run=next_run))
            verb = "enabled" if self.enabled else "disabled"
            record(uow, self._clock, actor=actor.name, action=f"job.{verb}", target=f"job:{name}")
            uow.commit()
        return job


class EnableJob(SetJobEnabled):
    enabled = True


class DisableJob(SetJobEnabled):
    enabled = False


class RemoveJob:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, name: str, actor: Actor = SYSTEM) -> None:
        actor.require_admin()
        with self._uow() as uow:
            job = require_job(uow, name)
            assert job.id is not None
            uow.jobs.remove(job.id)
            record(uow, self._clock, actor=actor.name, action="job.removed", target=f"job:{name}")
            uow.commit()


@attrs.frozen(kw_only=True)
class RunJobNowCommand:
    name: str
    inline: bool = False  # True: run it here and now (the CLI); False: make it due (the page)
    actor: Actor = SYSTEM


class RunJobNow:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, runner: JobRunner) -> None:
        self._uow = uow
        self._clock = clock
        self._runner = runner

    def __call__(self, cmd: RunJobNowCommand) -> JobOutcome | None:
        """The outcome of an inline run; None when the job was only made due."""
        cmd.actor.require_admin()
        with self._uow() as uow:
            job = require_job(uow, cmd.name)
            if not cmd.inline:
                if not job.enabled:  # no scheduler claims it: say so rather than wait forever
                    raise Conflict(
                        f"job {job.name!r} is disabled: enable it, or run it once with "
                        f"`aiops jobs run {job.name}`"
                    )
                uow.jobs.update(attrs.evolve(job, next_run=self._clock.now()))
            record(uow, self._clock, actor=cmd.actor.name, action="job.run_requested",
                   target=f"job:{job.name}", inline=cmd.inline)  # fmt: skip
            uow.commit()
        return self._runner.run_now(job.name) if cmd.inline else None


class RunnerEvents(Protocol):
    """What a runner reports as it goes (the scheduler prints it, tests record it)."""

    def claimed(self, job: Job) -> None: ...
    def finished(self, job: Job, outcome: JobOutcome, recorded: bool) -> None: ...
    def released(self, job: Job, reason: str) -> None: ...


class QuietEvents:
    def claimed(self, job: Job) -> None:
        pass

    def finished(self, job: Job, outcome: JobOutcome, recorded: bool) -> None:
        pass

    def released(self, job: Job, reason: str) -> None:
        pass


@attrs.frozen(kw_only=True)
class RunnerPolicy:
    owner: str  # unique per runner process: host:pid:random
    lease: timedelta = timedelta(seconds=30)
    poll: float = 5.0  # seconds between claims when nothing was due
    batch: int = 10  # jobs claimed at once
    grace: float = 10.0  # seconds a running job gets to finish after stop

    @property
    def heartbeat_every(self) -> float:
        return self.lease.total_seconds() / 3


class JobRunner:
    def __init__(
        self,
        *,
        store: JobStore,
        handlers: JobHandlers,
        clock: Clock,
        policy: RunnerPolicy,
        events: RunnerEvents | None = None,
    ) -> None:
        self._store = store
        self._handlers = handlers
        self._clock = clock
        self._policy = policy
        self._events = events or QuietEvents()

    @property
    def policy(self) -> RunnerPolicy:
        return self._policy

    def run(self, stop: threading.Event) -> None:
        """Claim and run due jobs until `stop` is set."""
        while not stop.is_set():
            if not self.run_once(stop):
                stop.wait(self._policy.poll)

    def run_once(self, stop: threading.Event | None = None) -> list[JobOutcome | None]:
        """One claim and its jobs (an outcome each, None for a job released unfinished)."""
        stop = stop or threading.Event()
        p = self._policy
        claimed_at = self._clock.now()
        claimed = self._store.claim_due(p.owner, claimed_at, p.lease, p.batch)
        outcomes: list[JobOutcome | None] = []
        for job in claimed:
            if stop.is_set():  # claimed but not started: another runner may take it at once
                self._release(job, "stopping")
                outcomes.append(None)
                continue
            self._events.claimed(job)
            outcomes.append(self._execute(job, stop, claimed_at))
        return outcomes

    def run_now(self, name: str) -> JobOutcome:
        """Lease the named job and run it here (due or not, enabled or not)."""
        p = self._policy
        job = self._store.claim(name, p.owner, self._clock.now(), p.lease)
        if job is None:
            raise Conflict(f"job {name!r} is running elsewhere (its lease is held): try later")
        self._events.claimed(job)
        outcome = self._execute(job, threading.Event(), self._clock.now())
        assert outcome is not None
        return outcome

    def _execute(self, job: Job, stop: threading.Event, claimed_at: datetime) -> JobOutcome | None:
        assert job.id is not None
        p = self._policy
        # Earlier jobs of the batch took a while: renew before starting, or give it up.
        stale = self._clock.now() - claimed_at >= p.lease / 3
        if stale and not self._renew(job):
            self._events.released(job, "lease lost before start")
            return None
        started = self._clock.now()
        work = _Work(self._handlers, job)
        thread = threading.Thread(target=work, name=f"job-{job.name}", daemon=True)
        thread.start()
        deadline: float | None = None
        next_beat = time.monotonic() + p.heartbeat_every
        while not work.done.is_set():
            if stop.is_set() and deadline is None:
                deadline = time.monotonic() + p.grace
            wake = min(next_beat, deadline) if deadline is not None else next_beat
            if work.done.wait(max(0.0, min(wake - time.monotonic(), 0.5))):
                break
            if deadline is not None and time.monotonic() >= deadline:
                self._release(job, f"still running {p.grace:g} s after stop")
                return None
            if time.monotonic() >= next_beat:
                next_beat = time.monotonic() + p.heartbeat_every
                self._renew(job)
        ended = self._clock.now()
        outcome = JobOutcome(
            status=JobStatus.FAILED if work.error else JobStatus.OK,
            started_at=started,
            ended_at=ended,
            summary=work.summary,
            error=work.error,
        )
        next_run = job.schedule.next_after(started)
        if next_run <= ended:  # a run longer than the interval: no catching up
            next_run = job.schedule.next_after(ended)
        recorded = self._store.finish(
            job.id, p.owner, outcome, next_run, claimed_next_run=job.next_run
        )
        self._events.finished(job, outcome, recorded)
        return outcome

    def _renew(self, job: Job) -> bool:
        assert job.id is not None
        now = self._clock.now()
        return self._store.heartbeat(job.id, self._policy.owner, now, now + self._policy.lease)

    def _release(self, job: Job, reason: str) -> None:
        assert job.id is not None
        self._store.release(job.id, self._policy.owner)
        self._events.released(job, reason)


class _Work:
    """One handler call in a worker thread: its summary or its error message."""

    def __init__(self, handlers: JobHandlers, job: Job) -> None:
        self._handlers = handlers
        self._job = job
        self.done = threading.Event()
        self.summary = ""
        self.error: str | None = None

    def __call__(self) -> None:
        try:
            handler = self._handlers.get(self._job.kind)
            if handler is None:
                raise DomainError(f"no handler for job kind {self._job.kind!r} in this runner")
            self.summary = handler(self._job)
        except DomainError as error:
            self.error = error.message
        except Exception as error:  # a bug in one job must not stop the runner: recorded
            self.error = f"unexpected error: {type(error).__name__}: {error}"[:2000]
        finally:
            self.done.set()


def describe_next(job: Job, now: datetime) -> str:
    if not job.enabled:
        return "disabled"
    return "due" if job.next_run <= now else job.next_run.isoformat(timespec="seconds")
