"""Runs whose aiops process died: a run is executed by the process that started it (the web
server, a scheduler, `aiops run-playbook`); killed (SIGKILL, OOM, a reboot), that process
leaves its run "running" for ever. Each run records its runner (RunnerProcesses.me()), and the
runner beats (runner_seen_at) every quarter of `lost_after_seconds` while the run is
unfinished. A run still queued or running is marked failed, with the reason, and audited
(automation.lost) when
- its runner is on this host and no longer alive (told at once, by /proc), or
- its runner is on another host (or out of this one's sight) and has not beaten for
  `lost_after_seconds`: that host went away, or its aiops process died.

Cheap on purpose: only unfinished runs are looked at, each runner once per call.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from aiops.domain.model.access import SYSTEM
from aiops.domain.model.automation import AutomationRun, RunStatus
from aiops.domain.usecases._audit import record
from aiops.ports.clock import Clock
from aiops.ports.runner_processes import RunnerProcesses
from aiops.ports.unit_of_work import UnitOfWorkFactory


def lost_reason(processes: RunnerProcesses, runner: str) -> str:
    return f"{processes.describe(runner)} ended before the run finished"


def silent_reason(processes: RunnerProcesses, runner: str, seen: datetime) -> str:
    return (
        f"{processes.describe(runner)} has not been heard from since "
        f"{seen.strftime('%Y-%m-%d %H:%M:%S %Z')}: its host or process is gone"
    )


def why_lost(
    processes: RunnerProcesses,
    run: AutomationRun,
    alive: bool | None,
    silent_since: datetime,
) -> str | None:
    """Why `run` is lost, or None when its runner is alive or may be."""
    assert run.runner is not None
    if alive is False:
        return lost_reason(processes, run.runner)
    seen = run.runner_seen_at or run.queued_at
    if alive is None and seen < silent_since:
        return silent_reason(processes, run.runner, seen)
    return None


class SettleLostRuns:
    """`runs` as they are, except the lost ones, now failed (as stored). Every use case that
    shows runs settles them first: a lost run reads as failed, never as running for ever."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        processes: RunnerProcesses,
        lost_after_seconds: float = 120.0,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._processes = processes
        self._lost_after = timedelta(seconds=lost_after_seconds)

    def __call__(self, runs: Sequence[AutomationRun]) -> list[AutomationRun]:
        silent_since = self._clock.now() - self._lost_after
        verdicts: dict[str, bool | None] = {}
        settled: list[AutomationRun] = []
        for run in runs:
            runner = run.runner
            if run.status.finished or runner is None:
                settled.append(run)
                continue
            if runner not in verdicts:
                verdicts[runner] = self._processes.alive(runner)
            reason = why_lost(self._processes, run, verdicts[runner], silent_since)
            settled.append(
                run if reason is None else _mark_lost(self._uow, self._clock, run, reason)
            )
        return settled


def _mark_lost(
    uow_factory: UnitOfWorkFactory, clock: Clock, run: AutomationRun, reason: str
) -> AutomationRun:
    assert run.id is not None
    with uow_factory() as uow:
        current = uow.automation_runs.get(run.id)
        if current is None or current.status.finished:
            return current or run
        lost = attrs.evolve(
            current, status=RunStatus.FAILED, rc=None, ended_at=clock.now(), reason=reason
        )
        if not uow.automation_runs.update_unfinished(lost):  # settled by someone else meanwhile
            return uow.automation_runs.get(run.id) or current
        record(
            uow,
            clock,
            actor=SYSTEM.name,
            action="automation.lost",
            target=f"run:{run.id}",
            playbook=lost.playbook,
            runner=current.runner,
            reason=reason,
        )
        uow.commit()
    return lost


class ReconcileRuns:
    """At web-server and scheduler start: every unfinished run whose runner has died (or gone
    silent, on another host) is marked failed. Returns the runs so marked."""

    def __init__(self, *, uow: UnitOfWorkFactory, settle: SettleLostRuns) -> None:
        self._uow = uow
        self._settle = settle

    def __call__(self) -> list[AutomationRun]:
        with self._uow(read_only=True) as uow:
            unfinished = list(uow.automation_runs.unfinished())
        settled = self._settle(unfinished)
        return [after for before, after in zip(unfinished, settled, strict=True) if after != before]
