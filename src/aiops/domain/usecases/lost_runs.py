"""Runs whose aiops process died: a run is executed by the process that started it (the web
server, a scheduler, `aiops run-playbook`); killed (SIGKILL, OOM, a reboot), that process
leaves its run "running" for ever. Each run records its runner (RunnerProcesses.me()); a run
still queued or running whose runner is on this host and no longer alive is marked failed,
with the reason, and audited (automation.lost). Runs of other hosts are left alone: only their
own host can tell.

Cheap on purpose: only unfinished runs are looked at, each runner once per call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from aiops.domain.model.access import SYSTEM
from aiops.domain.model.automation import AutomationRun, RunStatus
from aiops.domain.usecases._audit import record
from aiops.ports.clock import Clock
from aiops.ports.runner_processes import RunnerProcesses
from aiops.ports.unit_of_work import UnitOfWorkFactory

if TYPE_CHECKING:
    from aiops.domain.usecases.automation import AutomationPorts


def lost_reason(processes: RunnerProcesses, runner: str) -> str:
    return f"{processes.describe(runner)} ended before the run finished"


def settle_lost(
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    processes: RunnerProcesses,
    runs: Sequence[AutomationRun],
) -> list[AutomationRun]:
    """`runs` as they are, except the lost ones, now failed (as stored)."""
    verdicts: dict[str, bool | None] = {}
    settled: list[AutomationRun] = []
    for run in runs:
        runner = run.runner
        if run.status.finished or runner is None:
            settled.append(run)
            continue
        if runner not in verdicts:
            verdicts[runner] = processes.alive(runner)
        lost = verdicts[runner] is False
        settled.append(_mark_lost(uow, clock, run, lost_reason(processes, runner)) if lost else run)
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
    """At web-server and scheduler start: every unfinished run whose runner on this host has
    died is marked failed. Returns the runs so marked."""

    def __init__(self, *, ports: AutomationPorts) -> None:
        self._p = ports

    def __call__(self) -> list[AutomationRun]:
        with self._p.uow() as uow:
            unfinished = list(uow.automation_runs.unfinished())
        settled = settle_lost(
            uow=self._p.uow, clock=self._p.clock, processes=self._p.processes, runs=unfinished
        )
        return [after for before, after in zip(unfinished, settled, strict=True) if after != before]
