"""What is stored of a run as it goes (domain/usecases/run_journal.py): its pure decisions
(scrubbed, finished_run, is_due) with property tests, and the RunJournal against
FakeUnitOfWork and FakeClock. The threads that call it: tests/integration/test_run_recorder.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops.domain.errors import NotFound
from aiops.domain.model.automation import (
    MASK,
    AutomationRun,
    HostSummary,
    RunEvent,
    RunStatus,
)
from aiops.domain.usecases.run_journal import RunJournal, finished_run, is_due, scrubbed
from aiops.ports.automation import RunOutcome
from tests.fakes import FakeClock, FakeUnitOfWork

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
secret_texts = st.text(alphabet="abcxyz0123-", min_size=3, max_size=12)


@given(
    secrets=st.lists(secret_texts, max_size=3),
    before=st.text(alphabet="pq ", max_size=10),
    after=st.text(alphabet="pq ", max_size=10),
    task=st.none() | st.text(alphabet="pq ", max_size=10),
)
def test_a_scrubbed_event_holds_no_secret_in_its_output_or_task(
    secrets: list[str], before: str, after: str, task: str | None
) -> None:
    secret = secrets[0] if secrets else ""
    event = RunEvent(
        run_id=1,
        seq=1,
        event="runner_on_ok",
        stdout=f"{before}{secret}{after}",
        task=None if task is None else f"{task}{secret}",
    )
    stored = scrubbed(event, sorted(secrets, key=len, reverse=True))
    for value in secrets:
        assert value not in stored.stdout.replace(MASK, "")
        assert value not in (stored.task or "").replace(MASK, "")
    assert (stored.run_id, stored.seq, stored.event) == (1, 1, "runner_on_ok")
    if not secrets:
        assert stored == event


def test_scrubbing_masks_each_secret_value_where_it_appears() -> None:
    event = RunEvent(run_id=1, seq=2, event="x", stdout="pw hunter2 ok", task="set hunter2")
    stored = scrubbed(event, ["hunter2"])
    assert (stored.stdout, stored.task) == (f"pw {MASK} ok", f"set {MASK}")


run_statuses = st.sampled_from(list(RunStatus))


@given(
    before=run_statuses,
    after=st.sampled_from([s for s in RunStatus if s.finished]),
    rc=st.none() | st.integers(-1, 255),
    reason=st.none() | st.text(max_size=20),
)
def test_a_finished_run_takes_its_outcome_and_loses_any_lost_reason(
    before: RunStatus, after: RunStatus, rc: int | None, reason: str | None
) -> None:
    run = AutomationRun(
        playbook="ping", inventory="localhost", started_by="ada", queued_at=START,
        status=before, reason=reason, id=4,
    )  # fmt: skip
    summary = [HostSummary(host="web1", ok=2)]
    now = START + timedelta(minutes=3)
    done = finished_run(run, RunOutcome(status=after, rc=rc, summary=summary), now)
    assert (done.status, done.rc, done.summary, done.ended_at) == (after, rc, tuple(summary), now)
    assert done.reason is None
    assert (done.id, done.playbook, done.started_by) == (4, "ping", "ada")


@given(
    last=st.none() | st.integers(0, 1000),
    now=st.integers(0, 2000),
    every=st.floats(0, 500, allow_nan=False),
)
def test_something_is_due_when_never_done_or_done_at_least_an_interval_ago(
    last: int | None, now: int, every: float
) -> None:
    at = START + timedelta(seconds=now)
    done = None if last is None else START + timedelta(seconds=last)
    assert is_due(done, at, every) == (last is None or now - last >= every)


class World:
    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        self.uow = FakeUnitOfWork()
        self.clock = FakeClock(START)
        with self.uow as uow:
            run = uow.automation_runs.add(
                AutomationRun(
                    playbook="ping", inventory="localhost", started_by="ada", queued_at=START,
                    runner="here:1", runner_seen_at=START, reason="lost, said another host",
                )
            )  # fmt: skip
            uow.commit()
        assert run.id is not None
        self.run_id = run.id
        self.journal = RunJournal(
            uow=self.uow, clock=self.clock, run_id=run.id, secrets=secrets,
            heartbeat_seconds=30, cancel_poll_seconds=1,
        )  # fmt: skip

    def run(self) -> AutomationRun:
        return self.uow.committed.automation_runs[self.run_id]


def test_the_outcome_and_its_audit_row_are_stored_in_one_transaction() -> None:
    world = World()
    commits = world.uow.commits
    world.clock.advance(seconds=5)

    done = world.journal.finish(RunOutcome(status=RunStatus.SUCCESSFUL, rc=0))

    assert world.uow.commits == commits + 1
    assert world.run() == done
    assert (done.status, done.rc, done.reason) == (RunStatus.SUCCESSFUL, 0, None)
    assert done.ended_at == world.clock.now()
    [audit] = world.uow.committed.audit
    assert (audit.action, audit.actor, audit.target) == (
        "automation.finished",
        "ada",
        f"run:{world.run_id}",
    )
    assert audit.detail == {"playbook": "ping", "status": "successful", "rc": 0}


def test_a_run_that_is_not_stored_cannot_be_finished() -> None:
    world = World()
    world.journal.run_id = 999
    with pytest.raises(NotFound):
        world.journal.finish(RunOutcome(status=RunStatus.FAILED, rc=None))
    assert world.uow.committed.audit == []


def test_started_marks_the_run_running_at_the_time() -> None:
    world = World()
    world.clock.advance(seconds=2)
    world.journal.started()
    assert (world.run().status, world.run().started_at) == (RunStatus.RUNNING, world.clock.now())


def test_a_batch_of_events_is_stored_and_an_empty_one_costs_nothing() -> None:
    world = World(secrets=("hunter2",))
    commits = world.uow.commits
    world.journal.store([])
    assert world.uow.commits == commits
    events = [
        world.journal.scrubbed(RunEvent(run_id=world.run_id, seq=n, event="x", stdout="hunter2"))
        for n in (1, 2)
    ]
    world.journal.store(events)
    assert world.uow.commits == commits + 1
    stored = world.uow.committed.run_events
    assert [stored[(world.run_id, n)].stdout for n in (1, 2)] == [MASK, MASK]


def test_the_runner_beats_only_when_a_heartbeat_is_due_and_never_after_the_end() -> None:
    world = World()
    world.clock.advance(seconds=29)
    assert not world.journal.beat()
    assert world.run().runner_seen_at == START
    world.clock.advance(seconds=1)
    assert world.journal.beat()
    assert world.run().runner_seen_at == world.clock.now()
    world.journal.finish(RunOutcome(status=RunStatus.SUCCESSFUL, rc=0))
    world.clock.advance(minutes=5)
    assert not world.journal.beat()


def test_a_cancel_asked_elsewhere_is_seen_at_the_next_poll() -> None:
    world = World()
    assert not world.journal.cancel_requested()
    with world.uow as uow:
        uow.automation_runs.update(attrs.evolve(world.run(), cancel_requested=True))
        uow.commit()
    assert not world.journal.cancel_requested()  # polled less than a second ago
    world.clock.advance(seconds=1)
    assert world.journal.cancel_requested()
