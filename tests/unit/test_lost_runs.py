"""Runs whose aiops process died (lost_runs.py) against FakeRunnerProcesses and the fakes of
test_automation: marked failed with the reason and audited when their runner is on this host
and dead; left alone when it is alive, on another host, or the run has finished."""

from __future__ import annotations

import attrs
import pytest

from aiops.domain.model.automation import AutomationRefused, RunEvent, RunStatus
from aiops.domain.usecases.automation import CancelRun, ListRuns, RunEvents, ShowRun
from aiops.domain.usecases.lost_runs import ReconcileRuns
from aiops.ports.automation import RunOutcome
from tests.unit.test_automation import ADMIN, OWNER, World

REASON = "aiops process 1 on here ended before the run finished"


def test_a_run_whose_runner_is_recorded_at_start() -> None:
    world = World()
    run_id = world.run()
    assert world.uow.committed.automation_runs[run_id].runner == "here:1"


def test_reconcile_marks_the_runs_of_a_dead_runner_failed_with_the_reason_and_audits() -> None:
    world = World()
    running = world.run()
    queued = world.run()
    world.uow.committed.automation_runs[queued] = attrs.evolve(
        world.uow.committed.automation_runs[queued], status=RunStatus.QUEUED
    )
    world.processes.kill()

    lost = ReconcileRuns(ports=world.ports)()

    assert [run.id for run in lost] == [running, queued]
    for run_id in (running, queued):
        run = world.uow.committed.automation_runs[run_id]
        assert (run.status, run.rc, run.reason) == (RunStatus.FAILED, None, REASON)
        assert run.ended_at == world.ports.clock.now()
    audit = [e for e in world.uow.committed.audit if e.action == "automation.lost"]
    assert [(e.actor, e.target) for e in audit] == [
        ("system", f"run:{running}"),
        ("system", f"run:{queued}"),
    ]
    assert audit[0].detail["reason"] == REASON
    assert audit[0].detail["runner"] == "here:1"
    assert world.processes.asked == ["here:1"]  # one look per runner, however many runs
    assert ReconcileRuns(ports=world.ports)() == []  # nothing twice


def test_runs_of_a_live_runner_or_of_another_host_are_left_alone() -> None:
    world = World()
    mine = world.run()
    world.processes.pid = 2  # runs started by another process of this host, still alive
    other_process = world.run()
    world.processes.host = "elsewhere"  # a run started on another host: it cannot be told
    other_host = world.run()
    world.processes.host = "here"
    world.processes.pid = 3
    world.processes.kill("elsewhere:2")  # even if a pid there is "dead" here, not ours to say

    assert ReconcileRuns(ports=world.ports)() == []
    runs = world.uow.committed.automation_runs
    assert {runs[i].status for i in (mine, other_process, other_host)} == {RunStatus.RUNNING}
    assert not any(e.action == "automation.lost" for e in world.uow.committed.audit)


def test_finished_runs_are_never_looked_at() -> None:
    world = World()
    run_id = world.run()
    world.runner.finish(run_id, RunOutcome(status=RunStatus.SUCCESSFUL, rc=0))
    world.processes.kill()

    assert ReconcileRuns(ports=world.ports)() == []
    assert ListRuns(ports=world.ports)(actor=ADMIN)[0].status is RunStatus.SUCCESSFUL
    assert ShowRun(ports=world.ports)(run_id, actor=ADMIN).reason is None
    assert world.processes.asked == []


def test_show_and_list_report_a_lost_run_as_failed() -> None:
    world = World()
    run_id = world.run()
    world.processes.kill()

    shown = ShowRun(ports=world.ports)(run_id, actor=OWNER)

    assert (shown.status, shown.reason) == (RunStatus.FAILED, REASON)
    assert world.uow.committed.automation_runs[run_id] == shown
    [listed] = ListRuns(ports=world.ports)(actor=ADMIN)
    assert listed == shown


def test_the_events_page_of_a_lost_run_is_complete_with_the_events_stored_before() -> None:
    world = World()
    run_id = world.run()
    world.runner.emit(
        run_id, *(RunEvent(run_id=run_id, seq=seq, event="runner_on_ok") for seq in (1, 2, 3))
    )
    page = RunEvents(ports=world.ports)(run_id, actor=ADMIN)
    assert page.run.status is RunStatus.RUNNING  # alive: more may come

    world.processes.kill()
    page = RunEvents(ports=world.ports)(run_id, actor=ADMIN)

    assert page.run.status.finished
    assert page.run.reason == REASON
    assert [e.seq for e in page.events] == [1, 2, 3]


def test_cancelling_a_lost_run_is_refused_as_finished() -> None:
    world = World()
    run_id = world.run()
    world.processes.kill()

    with pytest.raises(AutomationRefused, match="already finished \\(failed\\)"):
        CancelRun(ports=world.ports)(run_id, actor=ADMIN)

    run = world.uow.committed.automation_runs[run_id]
    assert (run.status, run.reason, run.cancel_requested) == (RunStatus.FAILED, REASON, False)
    assert world.runner.cancelled == []
