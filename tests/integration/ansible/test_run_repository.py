"""The automation run repository's contract on the fake, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import attrs
import pytest

from aiops.domain.errors import Conflict, NotFound
from aiops.domain.model.automation import AutomationRun, HostSummary, RunEvent, RunStatus
from aiops.ports.unit_of_work import UnitOfWork
from tests.integration.test_repositories import new_uow

__all__ = ["new_uow"]
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def add_run(new_uow: Callable[[], UnitOfWork], **fields: object) -> AutomationRun:
    values: dict[str, object] = {
        "playbook": "ping",
        "inventory": "localhost",
        "started_by": "admin@example.com",
        "queued_at": T0,
    }
    with new_uow() as uow:
        run = uow.automation_runs.add(AutomationRun(**(values | fields)))  # type: ignore[arg-type]
        uow.commit()
    return run


def test_runs_round_trip_newest_first(new_uow: Callable[[], UnitOfWork]) -> None:
    first = add_run(new_uow, extra_vars={"who": "me", "password": "********"}, check=True)
    second = add_run(new_uow, playbook="host-report", limit="web,&prod", tags="a,b")
    assert first.id is not None
    finished = attrs.evolve(
        first,
        status=RunStatus.FAILED,
        rc=2,
        started_at=T0,
        ended_at=T0.replace(minute=1),
        summary=(HostSummary(host="localhost", ok=3, changed=1, failed=1),),
        cancel_requested=True,
    )
    with new_uow() as uow:
        uow.automation_runs.update(finished)
        uow.commit()
    with new_uow() as uow:
        assert uow.automation_runs.get(first.id) == finished
        assert [r.id for r in uow.automation_runs.list()] == [second.id, first.id]
        assert [r.id for r in uow.automation_runs.list(limit=1)] == [second.id]
        assert uow.automation_runs.get(999_999) is None
        assert uow.automation_runs.get(2**40) is None
    assert finished.duration_seconds == 60


def test_updating_a_missing_run_is_not_found(new_uow: Callable[[], UnitOfWork]) -> None:
    run = add_run(new_uow)
    with new_uow() as uow, pytest.raises(NotFound):
        uow.automation_runs.update(attrs.evolve(run, id=run.id + 1000 if run.id else 1))


def test_ten_thousand_events_in_batches_none_dropped(new_uow: Callable[[], UnitOfWork]) -> None:
    run = add_run(new_uow)
    other = add_run(new_uow)
    assert run.id is not None
    assert other.id is not None
    events = [
        RunEvent(
            run_id=run.id,
            seq=seq,
            event="runner_on_ok",
            host=f"host{seq % 7}",
            task="Ping",
            status="ok",
            stdout=f"ok: [host{seq % 7}] {seq}",
            at=T0,
        )
        for seq in range(1, 10_001)
    ]
    for start in range(0, len(events), 500):
        with new_uow() as uow:
            uow.automation_runs.add_events(events[start : start + 500])
            uow.commit()
    with new_uow() as uow:
        uow.automation_runs.add_events([attrs.evolve(events[0], run_id=other.id)])
        uow.commit()
    read: list[RunEvent] = []
    after = 0
    with new_uow() as uow:
        while page := uow.automation_runs.events(run.id, after_seq=after, limit=1000):
            read.extend(page)
            after = page[-1].seq
    assert read == events
    with new_uow() as uow:
        assert [e.seq for e in uow.automation_runs.events(run.id, after_seq=9_998)] == [
            9_999,
            10_000,
        ]
        assert len(uow.automation_runs.events(other.id)) == 1


def test_a_repeated_seq_is_refused_and_rolled_back(new_uow: Callable[[], UnitOfWork]) -> None:
    run = add_run(new_uow)
    assert run.id is not None
    event = RunEvent(run_id=run.id, seq=1, event="playbook_on_start")
    with new_uow() as uow:
        uow.automation_runs.add_events([event])
        uow.commit()
    with new_uow() as uow:
        with pytest.raises(Conflict):
            uow.automation_runs.add_events([attrs.evolve(event, seq=2), event])
        uow.rollback()
    with new_uow() as uow:
        assert [e.seq for e in uow.automation_runs.events(run.id)] == [1]


def test_unfinished_runs_are_the_queued_and_running_ones_with_their_runner(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    queued = add_run(new_uow, runner="web-1:4242:987654:4026531836")
    running = add_run(new_uow, status=RunStatus.RUNNING, runner="web-2:7:1:4026531836")
    add_run(new_uow, status=RunStatus.SUCCESSFUL, rc=0)
    add_run(new_uow, status=RunStatus.CANCELLED)
    with new_uow() as uow:
        assert uow.automation_runs.unfinished() == [queued, running]
        assert uow.automation_runs.get(queued.id or 0) == queued  # the runner round-trips


def test_update_unfinished_changes_a_running_run_but_never_a_finished_one(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    running = add_run(new_uow, status=RunStatus.RUNNING, runner="web-1:1:2:3")
    done = add_run(new_uow, status=RunStatus.SUCCESSFUL, rc=0, runner="web-1:1:2:3")
    lost = attrs.evolve(running, status=RunStatus.FAILED, ended_at=T0, reason="it died")
    with new_uow() as uow:
        assert uow.automation_runs.update_unfinished(lost) is True
        assert uow.automation_runs.update_unfinished(attrs.evolve(lost, reason="again")) is False
        assert uow.automation_runs.update_unfinished(attrs.evolve(done, reason="x")) is False
        assert uow.automation_runs.update_unfinished(attrs.evolve(done, id=999_999)) is False
        uow.commit()
    with new_uow() as uow:
        assert uow.automation_runs.get(running.id or 0) == lost
        assert uow.automation_runs.get(done.id or 0) == done
        assert uow.automation_runs.unfinished() == []


def test_a_heartbeat_moves_runner_seen_at_of_an_unfinished_run_only(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    running = add_run(new_uow, status=RunStatus.RUNNING, runner="web-1:1:2:3", runner_seen_at=T0)
    done = add_run(new_uow, status=RunStatus.SUCCESSFUL, rc=0, runner_seen_at=T0)
    later = T0.replace(minute=5)
    with new_uow() as uow:
        assert uow.automation_runs.get(running.id or 0) == running  # round-trips
        assert uow.automation_runs.heartbeat(running.id or 0, later) is True
        assert uow.automation_runs.heartbeat(done.id or 0, later) is False
        assert uow.automation_runs.heartbeat(999_999, later) is False
        assert uow.automation_runs.heartbeat(2**40, later) is False
        uow.commit()
    with new_uow() as uow:
        assert uow.automation_runs.get(running.id or 0) == attrs.evolve(
            running, runner_seen_at=later
        )
        assert uow.automation_runs.get(done.id or 0) == done
