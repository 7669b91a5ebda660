"""Runs whose aiops process died (lost_runs.py) against FakeRunnerProcesses and the fakes of
test_automation: marked failed with the reason and audited when their runner is on this host
and dead, or on another host and silent (no heartbeat) for lost_after_seconds; left alone when
it is alive, beating, or the run has finished."""

from __future__ import annotations

from datetime import datetime

import attrs
import pytest

from aiops.domain.model.automation import AutomationRefused, RunEvent, RunStatus
from aiops.ports.automation import RunOutcome
from tests.fakes import FakeRunRecording
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

    lost = world.reconcile_runs()

    assert [run.id for run in lost] == [running, queued]
    for run_id in (running, queued):
        run = world.uow.committed.automation_runs[run_id]
        assert (run.status, run.rc, run.reason) == (RunStatus.FAILED, None, REASON)
        assert run.ended_at == world.clock.now()
    audit = [e for e in world.uow.committed.audit if e.action == "automation.lost"]
    assert [(e.actor, e.target) for e in audit] == [
        ("system", f"run:{running}"),
        ("system", f"run:{queued}"),
    ]
    assert audit[0].detail["reason"] == REASON
    assert audit[0].detail["runner"] == "here:1"
    assert world.processes.asked == ["here:1"]  # one look per runner, however many runs
    assert world.reconcile_runs() == []  # nothing twice


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

    assert world.reconcile_runs() == []
    runs = world.uow.committed.automation_runs
    assert {runs[i].status for i in (mine, other_process, other_host)} == {RunStatus.RUNNING}
    assert not any(e.action == "automation.lost" for e in world.uow.committed.audit)


def test_finished_runs_are_never_looked_at() -> None:
    world = World()
    run_id = world.run()
    world.runner.finish(run_id, RunOutcome(status=RunStatus.SUCCESSFUL, rc=0))
    world.processes.kill()

    assert world.reconcile_runs() == []
    assert world.list_runs(actor=ADMIN)[0].status is RunStatus.SUCCESSFUL
    assert world.show_run(run_id, actor=ADMIN).reason is None
    assert world.processes.asked == []


def test_show_and_list_report_a_lost_run_as_failed() -> None:
    world = World()
    run_id = world.run()
    world.processes.kill()

    shown = world.show_run(run_id, actor=OWNER)

    assert (shown.status, shown.reason) == (RunStatus.FAILED, REASON)
    assert world.uow.committed.automation_runs[run_id] == shown
    [listed] = world.list_runs(actor=ADMIN)
    assert listed == shown


def test_the_events_page_of_a_lost_run_is_complete_with_the_events_stored_before() -> None:
    world = World()
    run_id = world.run()
    world.runner.emit(
        run_id, *(RunEvent(run_id=run_id, seq=seq, event="runner_on_ok") for seq in (1, 2, 3))
    )
    page = world.run_events(run_id, actor=ADMIN)
    assert page.run.status is RunStatus.RUNNING  # alive: more may come

    world.processes.kill()
    page = world.run_events(run_id, actor=ADMIN)

    assert page.run.status.finished
    assert page.run.reason == REASON
    assert [e.seq for e in page.events] == [1, 2, 3]


def test_cancelling_a_lost_run_is_refused_as_finished() -> None:
    world = World()
    run_id = world.run()
    world.processes.kill()

    with pytest.raises(AutomationRefused, match="already finished \\(failed\\)"):
        world.cancel_run(run_id, actor=ADMIN)

    run = world.uow.committed.automation_runs[run_id]
    assert (run.status, run.reason, run.cancel_requested) == (RunStatus.FAILED, REASON, False)
    assert world.runner.cancelled == []


# --- heartbeats: runs of other hosts -------------------------------------------------------

SILENT = (
    "aiops process 1 on elsewhere has not been heard from since 2026-01-01 12:00:00 UTC: "
    "its host or process is gone"
)


def recorder_of(world: World, run_id: int) -> FakeRunRecording:
    return world.recorders.recordings[run_id]


def run_elsewhere(world: World) -> int:
    world.processes.host = "elsewhere"
    try:
        return world.run()
    finally:
        world.processes.host = "here"


def seen(world: World, run_id: int) -> datetime | None:
    return world.uow.committed.automation_runs[run_id].runner_seen_at


def test_a_runner_beats_every_quarter_of_lost_after_while_its_run_is_unfinished() -> None:
    world = World()
    clock = world.clock
    run_id = world.run()
    started = clock.now()
    assert seen(world, run_id) == started  # stored with the run

    clock.advance(seconds=29)
    recorder_of(world, run_id).beat()
    assert seen(world, run_id) == started  # not due: 120 s / 4 = 30 s

    clock.advance(seconds=2)
    recorder_of(world, run_id).beat()
    assert seen(world, run_id) == clock.now()

    recorder = recorder_of(world, run_id)
    world.runner.finish(run_id, RunOutcome(status=RunStatus.SUCCESSFUL, rc=0))
    last = seen(world, run_id)
    clock.advance(seconds=60)
    recorder.beat()
    assert seen(world, run_id) == last  # a finished run is not beaten for


def test_a_run_of_another_host_whose_runner_fell_silent_is_lost_with_when_it_was_heard() -> None:
    world = World()
    clock = world.clock
    run_id = run_elsewhere(world)

    clock.advance(seconds=119)
    assert world.show_run(run_id, actor=ADMIN).status is RunStatus.RUNNING
    clock.advance(seconds=2)
    [listed] = world.list_runs(actor=ADMIN)

    assert (listed.status, listed.rc, listed.reason) == (RunStatus.FAILED, None, SILENT)
    assert world.uow.committed.automation_runs[run_id] == listed
    [audit] = [e for e in world.uow.committed.audit if e.action == "automation.lost"]
    assert audit.detail["reason"] == SILENT
    assert audit.detail["runner"] == "elsewhere:1"


def test_a_beating_runner_of_another_host_is_never_lost() -> None:
    world = World()
    clock = world.clock
    run_id = run_elsewhere(world)

    for _ in range(20):  # ten minutes, beating every 30 s
        clock.advance(seconds=30)
        recorder_of(world, run_id).beat()
        assert world.reconcile_runs() == []

    assert world.uow.committed.automation_runs[run_id].status is RunStatus.RUNNING


def test_a_live_runner_of_this_host_is_trusted_over_a_late_heartbeat() -> None:
    """/proc says it runs (say, its database was away and it could not beat): not lost."""
    world = World()
    clock = world.clock
    run_id = world.run()

    clock.advance(minutes=10)

    assert world.reconcile_runs() == []
    assert world.uow.committed.automation_runs[run_id].status is RunStatus.RUNNING


def test_the_silence_allowed_follows_the_setting() -> None:
    world = World()
    world.lost_after_seconds = 600
    clock = world.clock
    run_id = run_elsewhere(world)

    clock.advance(seconds=599)
    assert world.reconcile_runs() == []
    clock.advance(seconds=2)
    assert [run.id for run in world.reconcile_runs()] == [run_id]


def test_a_run_marked_lost_by_another_host_that_then_finishes_keeps_its_real_outcome() -> None:
    """Its runner was only cut off from the database: the outcome it stores wins."""
    world = World()
    clock = world.clock
    run_id = run_elsewhere(world)
    clock.advance(minutes=5)
    assert world.reconcile_runs()[0].reason == SILENT

    world.runner.finish(run_id, RunOutcome(status=RunStatus.SUCCESSFUL, rc=0))

    run = world.uow.committed.automation_runs[run_id]
    assert (run.status, run.rc, run.reason) == (RunStatus.SUCCESSFUL, 0, None)
    actions = [e.action for e in world.uow.committed.audit]
    assert actions[-2:] == ["automation.lost", "automation.finished"]
