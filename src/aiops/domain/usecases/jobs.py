"""Scheduled jobs: add, list, run now, enable/disable and remove them (admins), and the
JobRunner that claims due jobs with a lease and runs them.

A runner claims a batch of due jobs, runs each through the JobWorker port (a worker thread,
adapters/job_worker.py) while it renews the lease every third of the lease, then records the
outcome and the next run. On stop it claims nothing more, gives the running job a grace
period to finish, and otherwise releases its lease so another runner takes it at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

import attrs

from aiops.domain.errors import Conflict, DomainError, NotFound, ValidationError
from aiops.domain.model.access import SYSTEM, Actor
from aiops.domain.model.jobs import Job, JobOutcome, JobStatus, Schedule, job_name
from aiops.domain.model.notifications import job_failed_notice
from aiops.domain.usecases._audit import record
from aiops.ports.clock import Clock
from aiops.ports.job_worker import JobWorker, StopSignal
from aiops.ports.jobs import JobHandler, JobHandlers, JobStore
from aiops.ports.notifications import NoticeSink
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


class NeverStop:
    """A stop signal never set: a run asked for here and now (`aiops jobs run`)."""

    def is_set(self) -> bool:
        return False


def lease_is_stale(claimed_at: datetime, now: datetime, lease: timedelta) -> bool:
    """Whether a claim has aged past the heartbeat interval (a third of the lease): earlier
    jobs of the batch took a while, so the lease is renewed before the job starts."""
    return now - claimed_at >= lease / 3


def next_run_after(schedule: Schedule, started: datetime, ended: datetime) -> datetime:
    """The next run after one that started and ended so: a run longer than the interval does
    not catch up."""
    next_run = schedule.next_after(started)
    return next_run if next_run > ended else schedule.next_after(ended)


def run_handler(handlers: JobHandlers, job: Job) -> tuple[str, str | None]:
    """The job's handler called once: its summary, and its error message (None: it went
    well). A bug in one job must not stop the runner, so any exception is an error here."""
    try:
        handler = handlers.get(job.kind)
        if handler is None:
            raise DomainError(f"no handler for job kind {job.kind!r} in this runner")
        return handler(job), None
    except DomainError as error:
        return "", error.message
    except Exception as error:
        return "", f"unexpected error: {type(error).__name__}: {error}"[:2000]


def job_outcome(started: datetime, ended: datetime, summary: str, error: str | None) -> JobOutcome:
    return JobOutcome(
        status=JobStatus.FAILED if error is not None else JobStatus.OK,
        started_at=started,
        ended_at=ended,
        summary=summary,
        error=error,
    )


class JobRunner:
    """Claims due jobs with a lease and runs each through the worker, which renews the lease
    while the job runs; records the outcome and the next run. The loop that calls run_once
    until stopped is the scheduler's (entrypoints/scheduler.py)."""

    def __init__(
        self,
        *,
        store: JobStore,
        handlers: JobHandlers,
        clock: Clock,
        worker: JobWorker,
        policy: RunnerPolicy,
        events: RunnerEvents | None = None,
        uow: UnitOfWorkFactory | None = None,
        notices: NoticeSink | None = None,
    ) -> None:
        self._uow = uow
        self._notices = notices  # failed jobs, to tenants' targets (issue 18)
        self._store = store
        self._handlers = handlers
        self._clock = clock
        self._worker = worker
        self._policy = policy
        self._events = events or QuietEvents()

    @property
    def policy(self) -> RunnerPolicy:
        return self._policy

    def run_once(self, stop: StopSignal | None = None) -> list[JobOutcome | None]:
        """One claim and its jobs (an outcome each, None for a job released unfinished)."""
        stop = NeverStop() if stop is None else stop
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
        outcome = self._execute(job, NeverStop(), self._clock.now())
        assert outcome is not None
        return outcome

    def _execute(self, job: Job, stop: StopSignal, claimed_at: datetime) -> JobOutcome | None:
        assert job.id is not None
        p = self._policy
        if lease_is_stale(claimed_at, self._clock.now(), p.lease) and not self._renew(job):
            self._events.released(job, "lease lost before start")
            return None
        started = self._clock.now()
        done = self._worker.run(
            lambda: run_handler(self._handlers, job),
            beat=lambda: self._renew(job),
            every=p.heartbeat_every,
            stop=stop,
            grace=p.grace,
        )
        if done is None:
            self._release(job, f"still running {p.grace:g} s after stop")
            return None
        ended = self._clock.now()
        outcome = job_outcome(started, ended, *done)
        next_run = next_run_after(job.schedule, started, ended)
        recorded = self._store.finish(
            job.id, p.owner, outcome, next_run, claimed_next_run=job.next_run
        )
        self._events.finished(job, outcome, recorded)
        if outcome.status is JobStatus.FAILED and recorded:
            self._notify_failed(job, outcome)
        return outcome

    def _notify_failed(self, job: Job, outcome: JobOutcome) -> None:
        if self._uow is None or self._notices is None:
            return
        with self._uow() as uow:
            self._notices(uow, [job_failed_notice(job, outcome)])
            uow.commit()

    def _renew(self, job: Job) -> bool:
        assert job.id is not None
        now = self._clock.now()
        return self._store.heartbeat(job.id, self._policy.owner, now, now + self._policy.lease)

    def _release(self, job: Job, reason: str) -> None:
        assert job.id is not None
        self._store.release(job.id, self._policy.owner)
        self._events.released(job, reason)
