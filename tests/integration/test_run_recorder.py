"""ThreadedRunRecorders against both databases with real threads: a full batch is stored at
once, a short one within the flush interval, the outcome with its audit row at the end, and
the runner beats while the run goes on."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from aiops.adapters.run_recorder import ThreadedRunRecorders
from aiops.container import Container
from aiops.domain.model.automation import MASK, AutomationRun, RunEvent, RunStatus
from aiops.ports.automation import RunOutcome
from aiops.ports.unit_of_work import AuditQuery


def stored_run(app: Container) -> int:
    now = datetime.now(UTC)
    with app.uow() as uow:
        run = uow.automation_runs.add(
            AutomationRun(
                playbook="ping", inventory="localhost", started_by="ada", queued_at=now,
                runner="here:1", runner_seen_at=now,
            )
        )  # fmt: skip
        uow.commit()
    assert run.id is not None
    return run.id


def event(run_id: int, seq: int, stdout: str = "") -> RunEvent:
    return RunEvent(run_id=run_id, seq=seq, event="runner_on_ok", stdout=stdout)


def stored_seqs(app: Container, run_id: int) -> list[int]:
    with app.uow(read_only=True) as uow:
        return [e.seq for e in uow.automation_runs.events(run_id)]


def eventually(check: Callable[[], bool], seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.02)


def test_batches_are_stored_when_full_or_when_they_have_waited_the_flush_interval(
    app: Container,
) -> None:
    recorders = ThreadedRunRecorders(
        uow=app.uow, clock=app.clock(), batch_size=3, flush_seconds=3600
    )
    run_id = stored_run(app)
    shown: list[RunEvent] = []
    recording = recorders.open(run_id, secrets=["hunter2"], on_event=shown.append)
    recording.started()
    for seq in range(1, 5):
        recording.event(event(run_id, seq, f"pw hunter2 line {seq}"))

    assert stored_seqs(app, run_id) == [1, 2, 3]  # the full batch; the 4th waits
    assert [e.stdout for e in shown] == [f"pw {MASK} line {seq}" for seq in range(1, 5)]

    recording.finished(RunOutcome(status=RunStatus.SUCCESSFUL, rc=0))
    assert recording.wait(0)
    assert stored_seqs(app, run_id) == [1, 2, 3, 4]
    with app.uow(read_only=True) as uow:
        run = uow.automation_runs.get(run_id)
        events = uow.automation_runs.events(run_id)
    assert run is not None
    assert (run.status, run.rc) == (RunStatus.SUCCESSFUL, 0)
    assert all("hunter2" not in e.stdout for e in events)
    [audit] = app.list_audit_events()(AuditQuery(action="automation.finished"))
    assert audit.target == f"run:{run_id}"


def test_the_flusher_stores_a_short_batch_and_beats_until_the_run_ends(app: Container) -> None:
    recorders = ThreadedRunRecorders(
        uow=app.uow, clock=app.clock(), flush_seconds=0.05, lost_after_seconds=0.4
    )
    run_id = stored_run(app)
    recording = recorders.open(run_id)
    recording.event(event(run_id, 1))
    eventually(lambda: stored_seqs(app, run_id) == [1])

    def seen() -> datetime | None:
        with app.uow(read_only=True) as uow:
            run = uow.automation_runs.get(run_id)
        assert run is not None
        return run.runner_seen_at

    first = seen()
    eventually(lambda: seen() != first)  # beats every 0.1 s
    assert not recording.wait(0)
    recording.finished(RunOutcome(status=RunStatus.FAILED, rc=2))
    last = seen()
    time.sleep(0.3)
    assert seen() == last  # no beat once finished
