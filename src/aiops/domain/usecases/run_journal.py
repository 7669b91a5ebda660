"""What is stored of one playbook run as it goes, and when: its start, its events scrubbed of
secret values, the runner's heartbeat, a cancel asked from elsewhere, and its outcome with
its audit row in one transaction.

No threads here: the recorder (adapters/run_recorder.py) calls the journal from the runner's
thread and from its own flusher, and keeps the batches, the locks and the timers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from aiops.domain.errors import NotFound
from aiops.domain.model.automation import AutomationRun, RunEvent, RunStatus, scrub
from aiops.domain.model.notifications import run_failed_notice
from aiops.domain.usecases._audit import record
from aiops.ports.automation import RunOutcome
from aiops.ports.clock import Clock
from aiops.ports.notifications import NoticeSink
from aiops.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

FAILED_RUNS = frozenset({RunStatus.FAILED, RunStatus.TIMEOUT})


def scrubbed(event: RunEvent, secrets: Sequence[str]) -> RunEvent:
    """The event as stored: no secret value in its output or its task name."""
    if not secrets:
        return event
    task = scrub(event.task, secrets) if event.task else event.task
    return attrs.evolve(event, stdout=scrub(event.stdout, secrets), task=task)


def finished_run(run: AutomationRun, outcome: RunOutcome, now: datetime) -> AutomationRun:
    """The run as its outcome leaves it. The outcome tells: a "lost" reason written by a host
    that lost sight of the runner goes."""
    return attrs.evolve(
        run,
        status=outcome.status,
        rc=outcome.rc,
        summary=tuple(outcome.summary),
        ended_at=now,
        reason=None,
    )


def is_due(last: datetime | None, now: datetime, every_seconds: float) -> bool:
    """Whether something done at `last` (None: never) is due again at `now`."""
    return last is None or (now - last).total_seconds() >= every_seconds


def require_run(uow: UnitOfWork, run_id: int) -> AutomationRun:
    run = uow.automation_runs.get(run_id)
    if run is None:
        raise NotFound(f"run {run_id} does not exist: see `aiops runs list`")
    return run


class RunJournal:
    """The journal of the stored run `run_id`. `heartbeat_seconds`: how often a live runner
    says so (runner_seen_at, see lost_runs); `cancel_poll_seconds`: how often it asks whether
    a cancel was requested from another process."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        run_id: int,
        secrets: Sequence[str] = (),
        heartbeat_seconds: float = 30.0,
        cancel_poll_seconds: float = 1.0,
        notices: NoticeSink | None = None,
    ) -> None:
        self._notices = notices  # a failed run, to tenants' targets (issue 18)
        self._uow = uow
        self._clock = clock
        self.run_id = run_id
        self._secrets = secrets
        self._heartbeat_seconds = heartbeat_seconds
        self._cancel_poll_seconds = cancel_poll_seconds
        self._last_beat: datetime | None = clock.now()  # stored with runner_seen_at = now
        self._last_poll: datetime | None = None
        self._finished = False

    def started(self) -> None:
        with self._uow() as uow:
            run = require_run(uow, self.run_id)
            uow.automation_runs.update(
                attrs.evolve(run, status=RunStatus.RUNNING, started_at=self._clock.now())
            )
            uow.commit()

    def scrubbed(self, event: RunEvent) -> RunEvent:
        return scrubbed(event, self._secrets)

    def store(self, events: Sequence[RunEvent]) -> None:
        """One batch, in one statement."""
        if not events:
            return
        with self._uow() as uow:
            uow.automation_runs.add_events(events)
            uow.commit()

    def cancel_requested(self) -> bool:
        """Asked often by the runner; the database is asked every cancel_poll_seconds."""
        now = self._clock.now()
        if not is_due(self._last_poll, now, self._cancel_poll_seconds):
            return False
        self._last_poll = now
        with self._uow(read_only=True) as uow:
            run = uow.automation_runs.get(self.run_id)
        return run is not None and run.cancel_requested

    def beat(self) -> bool:
        """runner_seen_at = now when a heartbeat is due and the run unfinished: a host that
        cannot ask this one's /proc tells from it whether the runner died. Whether it beat."""
        now = self._clock.now()
        if self._finished or not is_due(self._last_beat, now, self._heartbeat_seconds):
            return False
        with self._uow() as uow:
            beaten = uow.automation_runs.heartbeat(self.run_id, now)
            uow.commit()
        self._last_beat = now
        return beaten

    def finish(self, outcome: RunOutcome) -> AutomationRun:
        """The outcome and its audit row, in one unit of work."""
        self._finished = True
        with self._uow() as uow:
            run = finished_run(require_run(uow, self.run_id), outcome, self._clock.now())
            uow.automation_runs.update(run)
            record(uow, self._clock, actor=run.started_by, action="automation.finished",
                   target=f"run:{self.run_id}", playbook=run.playbook, status=run.status.value,
                   rc=run.rc)  # fmt: skip
            if self._notices is not None and run.status in FAILED_RUNS:
                self._notices(uow, [run_failed_notice(run)])
            uow.commit()
        return run
