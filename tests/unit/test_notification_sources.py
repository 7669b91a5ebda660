"""The tenant-wide sources of notices: a failed job, a failed playbook run, an incident synced
(each queued in its own transaction, only when a sink is given)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aiops.domain.model.automation import RunStatus
from aiops.domain.model.jobs import JobStatus
from aiops.domain.model.notifications import Delivery, NoticeEvent, NotificationTarget
from aiops.domain.usecases.jobs import JobRunner, RunnerPolicy
from aiops.domain.usecases.notifications import QueueNotices
from aiops.domain.usecases.run_journal import RunJournal
from aiops.ports.automation import RunOutcome
from tests.fakes import CountingWakeup, FakeUnitOfWork
from tests.unit import test_jobs, test_run_journal, test_sync_issues

ALL_TENANT_EVENTS = frozenset(
    {NoticeEvent.RUN_FAILED, NoticeEvent.INCIDENT, NoticeEvent.JOB_FAILED}
)


def team_target(uow: FakeUnitOfWork, tenant_id: int = 1) -> int:
    with uow as work:
        target = work.notification_targets.add(
            NotificationTarget(tenant_id=tenant_id, label="ops", url_sealed="sealed:x",
                               url_masked="slack://T1…", events=ALL_TENANT_EVENTS,
                               created_at=datetime(2026, 1, 1, tzinfo=UTC))
        )  # fmt: skip
        work.commit()
    assert target.id is not None
    return target.id


def queued(uow: FakeUnitOfWork) -> list[Delivery]:
    return sorted(uow.committed.notice_deliveries.values(), key=lambda d: d.id or 0)


def test_a_failed_job_queues_a_job_failed_notice_and_a_good_one_none() -> None:
    w = test_jobs.World()
    team_target(w.uow)
    w.add_noop("breaks", fail=True)
    w.add_noop("fine")
    w.clock.advance(minutes=5)
    sink = QueueNotices(clock=w.clock, wakeup=CountingWakeup())
    runner = JobRunner(store=w.store, handlers=w.handlers, clock=w.clock, worker=w.worker,
                       policy=RunnerPolicy(owner="a"), uow=w.uow, notices=sink)  # fmt: skip

    runner.run_once()

    assert w.job("breaks").last_status is JobStatus.FAILED
    (delivery,) = queued(w.uow)
    assert delivery.event is NoticeEvent.JOB_FAILED
    assert delivery.title == "aiops: job breaks (noop) failed"
    assert delivery.body == "told to fail"


def test_without_a_sink_a_failed_job_queues_nothing() -> None:
    w = test_jobs.World()
    team_target(w.uow)
    w.add_noop("breaks", fail=True)
    w.clock.advance(minutes=5)
    w.runner().run_once()
    assert queued(w.uow) == []


@pytest.mark.parametrize(
    ("status", "notified"),
    [(RunStatus.FAILED, True), (RunStatus.TIMEOUT, True), (RunStatus.SUCCESSFUL, False),
     (RunStatus.CANCELLED, False)],
)  # fmt: skip
def test_a_failed_or_timed_out_run_queues_a_run_failed_notice(
    status: RunStatus, notified: bool
) -> None:
    w = test_run_journal.World()
    team_target(w.uow)
    journal = RunJournal(uow=w.uow, clock=w.clock, run_id=w.run_id,
                         notices=QueueNotices(clock=w.clock, wakeup=CountingWakeup()))  # fmt: skip

    journal.finish(RunOutcome(status=status, rc=2))

    deliveries = queued(w.uow)
    assert len(deliveries) == int(notified)
    if notified:
        assert deliveries[0].event is NoticeEvent.RUN_FAILED
        assert deliveries[0].dedup_key == f"run:{w.run_id}"
        assert deliveries[0].link == f"/automation/runs/{w.run_id}"
        assert status.value in deliveries[0].title


def test_an_incident_synced_reaches_its_tenants_targets_once() -> None:
    w = test_sync_issues.World()
    team_target(w.uow, tenant_id=w.tenant_id)
    team_target(w.uow, tenant_id=w.tenant_id + 100)  # another tenant's: hears nothing
    w.github.put(test_sync_issues.remote(1, labels=("incident",)))
    w.github.put(test_sync_issues.remote(2, labels=("bug",)))

    w.sync()
    w.sync(full=True)

    (delivery,) = queued(w.uow)
    assert delivery.event is NoticeEvent.INCIDENT
    assert delivery.title.startswith("aiops: incident #1")
