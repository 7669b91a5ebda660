"""The SQL job store's leases on SQLite and PostgreSQL: claims, expiry, heartbeats, and the
owner checks that keep a runner that lost its lease from overwriting another's result."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from aiops.container import Container
from aiops.domain.errors import Conflict, NotFound
from aiops.domain.model.jobs import Job, JobOutcome, JobStatus, Schedule
from aiops.domain.usecases.jobs import AddJobCommand

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def add(app: Container, name: str, *, due: datetime = NOW, enabled: bool = True) -> Job:
    job = Job(name=name, kind="tmux-resync", schedule=Schedule(every_seconds=300),
              next_run=due, enabled=enabled)  # fmt: skip
    with app.uow() as uow:
        job = uow.jobs.add(job)
        uow.commit()
    return job


def read(app: Container, name: str) -> Job:
    with app.uow(read_only=True) as uow:
        job = uow.jobs.get_by_name(name)
    assert job is not None
    return job


def outcome(status: JobStatus = JobStatus.OK, error: str | None = None) -> JobOutcome:
    return JobOutcome(status=status, started_at=NOW, ended_at=NOW + timedelta(seconds=2),
                      error=error)  # fmt: skip


def test_a_claim_takes_due_free_enabled_jobs_soonest_first_up_to_the_limit(
    app: Container,
) -> None:
    store = app.gateways.job_store()
    add(app, "second", due=NOW - timedelta(minutes=1))
    add(app, "first", due=NOW - timedelta(minutes=2))
    add(app, "third", due=NOW)
    add(app, "future", due=NOW + timedelta(seconds=1))
    add(app, "off", due=NOW - timedelta(hours=1), enabled=False)
    claimed = store.claim_due("a", NOW, LEASE, 2)
    assert [j.name for j in claimed] == ["first", "second"]
    assert {(j.lease_owner, j.lease_until) for j in claimed} == {("a", NOW + LEASE)}
    assert [j.name for j in store.claim_due("b", NOW, LEASE, 10)] == ["third"]
    assert store.claim_due("c", NOW, LEASE, 10) == []


def test_an_expired_lease_is_claimable_again(app: Container) -> None:
    store = app.gateways.job_store()
    add(app, "job")
    store.claim_due("dead", NOW, LEASE, 10)
    assert store.claim_due("b", NOW + LEASE - timedelta(seconds=1), LEASE, 10) == []
    later = NOW + LEASE + timedelta(seconds=1)
    assert [j.lease_owner for j in store.claim_due("b", later, LEASE, 10)] == ["b"]


def test_a_heartbeat_extends_only_a_lease_its_owner_still_holds(app: Container) -> None:
    store = app.gateways.job_store()
    job_id = add(app, "job").id
    assert job_id is not None
    store.claim_due("a", NOW, LEASE, 10)
    assert not store.heartbeat(job_id, "b", NOW, NOW + 2 * LEASE)
    assert store.heartbeat(job_id, "a", NOW + timedelta(seconds=10), NOW + 2 * LEASE)
    assert read(app, "job").lease_until == NOW + 2 * LEASE
    expired = NOW + 2 * LEASE + timedelta(seconds=1)
    assert not store.heartbeat(job_id, "a", expired, expired + LEASE)  # too late: not held


def test_finish_and_release_act_only_for_the_owner(app: Container) -> None:
    store = app.gateways.job_store()
    job_id = add(app, "job").id
    assert job_id is not None
    store.claim_due("a", NOW, LEASE, 10)
    late = NOW + LEASE + timedelta(seconds=5)
    store.claim_due("b", late, LEASE, 10)  # a's lease ran out: b took the job
    assert not store.finish(job_id, "a", outcome(JobStatus.FAILED, "a's"), NOW + LEASE)
    assert not store.release(job_id, "a")
    assert read(app, "job").lease_owner == "b"
    next_run = late + timedelta(minutes=5)
    assert store.finish(job_id, "b", outcome(), next_run)
    job = read(app, "job")
    assert (job.lease_owner, job.lease_until) == (None, None)
    assert job.last_status is JobStatus.OK
    assert job.last_error is None
    assert job.last_duration == 2.0
    assert job.next_run == next_run
    assert not store.finish(job_id, "a", outcome(JobStatus.FAILED, "a's"), NOW)  # nobody holds it
    assert read(app, "job").last_status is JobStatus.OK


def test_a_released_job_stays_due_for_the_next_runner(app: Container) -> None:
    store = app.gateways.job_store()
    job_id = add(app, "job").id
    assert job_id is not None
    store.claim_due("a", NOW, LEASE, 10)
    assert store.release(job_id, "a")
    assert [j.lease_owner for j in store.claim_due("b", NOW, LEASE, 10)] == ["b"]


def test_claiming_by_name_runs_a_job_whether_due_or_not_unless_it_is_held(app: Container) -> None:
    store = app.gateways.job_store()
    add(app, "later", due=NOW + timedelta(days=1), enabled=False)
    assert store.claim("later", "cli", NOW, LEASE) is not None
    assert store.claim("later", "other", NOW, LEASE) is None
    with pytest.raises(NotFound):
        store.claim("ghost", "cli", NOW, LEASE)


def test_concurrent_claims_never_hand_one_job_to_two_runners(app: Container) -> None:
    store = app.gateways.job_store()
    for number in range(60):
        add(app, f"job-{number}")
    taken: dict[str, list[str]] = {}
    lock = threading.Lock()

    def runner(owner: str) -> None:
        while claimed := store.claim_due(owner, NOW, LEASE, 3):
            with lock:
                for job in claimed:
                    taken.setdefault(job.name, []).append(owner)

    threads = [threading.Thread(target=runner, args=(f"r{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(taken) == sorted(f"job-{n}" for n in range(60))
    assert all(len(owners) == 1 for owners in taken.values())


def test_adding_through_the_use_case_stores_the_schedule_and_params(app: Container) -> None:
    app.add_job()(AddJobCommand(name="fetch-web", kind="workspace-fetch",
                                cron="*/15 * * * *", timezone="America/New_York",
                                params={"project_id": 7}))  # fmt: skip
    job = read(app, "fetch-web")
    assert job.schedule == Schedule(cron="*/15 * * * *", timezone="America/New_York")
    assert job.params == {"project_id": 7}
    assert job.next_run.tzinfo is not None
    with pytest.raises(Conflict):
        app.add_job()(AddJobCommand(name="fetch-web", kind="tmux-resync", every="1h"))


def test_a_definition_update_leaves_the_lease_alone(app: Container) -> None:
    store = app.gateways.job_store()
    add(app, "job")
    store.claim_due("a", NOW, LEASE, 10)
    app.disable_job()("job")
    job = read(app, "job")
    assert not job.enabled
    assert job.lease_owner == "a"


def test_a_next_run_set_while_the_job_ran_is_kept_when_it_finishes(app: Container) -> None:
    store = app.gateways.job_store()
    add(app, "requested")
    add(app, "untouched")
    claimed = {j.name: j for j in store.claim_due("a", NOW, LEASE, 10)}
    with app.uow() as uow:  # "Run now" while it runs, as RunJobNow does it
        uow.jobs.update(attrs.evolve(read(app, "requested"), next_run=NOW + timedelta(seconds=1)))
        uow.commit()
    scheduled = NOW + timedelta(minutes=5)

    for job in claimed.values():
        assert job.id is not None
        assert store.finish(job.id, "a", outcome(), scheduled, claimed_next_run=job.next_run)

    assert read(app, "requested").next_run == NOW + timedelta(seconds=1)  # runs again at once
    assert read(app, "untouched").next_run == scheduled
