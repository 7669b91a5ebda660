"""Notification targets, the NoticeSink and the deliverer against the in-memory fakes."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from aiops import bootstrap
from aiops.container import Container
from aiops.domain.errors import NotFound, PermissionDenied, ValidationError
from aiops.domain.model.access import Actor
from aiops.domain.model.jobs import Job, JobKind, Schedule
from aiops.domain.model.notifications import (
    DeliveryStatus,
    Notice,
    NoticeEvent,
    backoff,
    mask_url,
    parse_events,
    url_scheme,
)
from aiops.domain.model.tenants import Role
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.notifications import AddTargetCommand, TargetOwner, after_attempt
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand
from tests.fakes import (
    CountingWakeup,
    FakeClock,
    FakeNotifier,
    FakeSecretBox,
    FakeUnitOfWork,
)

URL = "json://hook-user:s3cr3t-pass@hooks.example.com/path/tok-123456"


@attrs.define
class World:
    app: Container
    uow: FakeUnitOfWork
    clock: FakeClock
    notifier: FakeNotifier
    wakeup: CountingWakeup
    ada: Actor
    bob: Actor

    def add(self, url: str = URL, events: str = "waiting,finished", **owner: str) -> int:
        target = self.app.add_notification_target()(
            AddTargetCommand(
                owner=TargetOwner(**(owner or {"user_email": "ada@example.com"})),
                url=url,
                events=events,
            )
        )
        assert target.id is not None
        return target.id

    def sink(self, *notices: Notice) -> None:
        notices = tuple(
            attrs.evolve(n, user_id=self.ada.user_id) if n.user_id == ADA else n for n in notices
        )
        with self.uow() as uow:
            self.app.notice_sink()(uow, notices)
            uow.commit()


ADA = 0  # stands for ada's id in a notice (World.sink puts hers in)


def waiting(since: str = "2026-01-01T12:00:00+00:00", user_id: int = ADA) -> Notice:
    """A wait of ada's session, by default."""
    return Notice(
        event=NoticeEvent.WAITING,
        user_id=user_id,
        tenant_id=None,
        dedup_key=f"session:7:waiting:{since}",
        title="session 7 is waiting",
        body="claude asks for permission",
        link="/sessions/7",
    )


@pytest.fixture
def world(uow: FakeUnitOfWork, clock: FakeClock, secret_box: FakeSecretBox) -> World:
    notifier, wakeup = FakeNotifier(), CountingWakeup()
    app = bootstrap(
        uow=uow, clock=clock, secret_box=secret_box, notifier=notifier, notice_wakeup=wakeup
    )
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    ids = []
    for email in ("ada@example.com", "bob@example.com"):
        ids.append(app.create_user()(CreateUserCommand(email=email, name=email[:3])).id)
    app.add_member()(AddMemberCommand(tenant="acme", email="bob@example.com", role="member"))
    ada = Actor(name="ada@example.com", user_id=ids[0])
    bob = Actor(name="bob@example.com", user_id=ids[1], roles={})
    return World(app, uow, clock, notifier, wakeup, ada, bob)


def test_a_target_is_stored_sealed_and_listed_masked(world: World) -> None:
    target_id = world.add()
    (target,) = world.app.list_notification_targets()(TargetOwner(user_email="ada@example.com"))
    assert target.id == target_id
    assert target.url_masked == "json://hooks.example.com…"
    assert "s3cr3t" not in target.url_sealed
    assert "tok-123456" not in target.url_sealed
    assert target.events == {NoticeEvent.WAITING, NoticeEvent.FINISHED}
    audit = world.uow.committed.audit[-1]
    assert audit.action == "notification.added"
    assert "s3cr3t" not in repr(audit)
    assert "tok-123456" not in repr(audit)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "not allowed"),
        ("windows://", "not allowed"),
        ("no url at all", "apprise URL"),
        ("hooks.example.com/x", "is not a URL"),
        ("bad://host/x", "apprise does not know"),
        ("json://169.254.169.254/latest/meta-data", "metadata"),
        ("mailto://example.com?smtp=169.254.169.254&to=a@example.com", "metadata"),
        ("json://[fe80::1]/x", "link-local"),
    ],
)
def test_urls_apprise_cannot_use_or_local_schemes_are_refused(
    world: World, url: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        world.add(url=url)
    assert not world.uow.committed.notification_targets


def test_events_must_suit_the_owner(world: World) -> None:
    with pytest.raises(ValidationError, match="'run-failed' is not one of"):
        world.add(events="waiting,run-failed")
    with pytest.raises(ValidationError, match="'waiting' is not one of"):
        world.add(events="waiting", tenant_slug="acme")
    assert parse_events(" Waiting , failed ", frozenset(NoticeEvent)) == {
        NoticeEvent.WAITING,
        NoticeEvent.FAILED,
    }


def test_a_user_manages_only_their_own_targets(world: World) -> None:
    target_id = world.add()
    with pytest.raises(PermissionDenied):
        world.app.list_notification_targets()(TargetOwner(user_email="ada@example.com"), world.bob)
    with pytest.raises(NotFound):
        world.app.remove_notification_target()(target_id, world.bob)
    with pytest.raises(NotFound):
        world.app.test_notification_target()(target_id, world.bob)
    world.app.remove_notification_target()(target_id, world.ada)
    assert not world.uow.committed.notification_targets
    assert world.uow.committed.audit[-1].action == "notification.removed"


def test_tenant_targets_are_for_those_who_manage_the_tenant(world: World) -> None:
    world.add(events="run-failed,job-failed", tenant_slug="acme")
    (acme,) = world.uow.committed.tenants
    bob_in_acme = attrs.evolve(world.bob, roles={acme: Role.MEMBER})
    with pytest.raises(PermissionDenied):
        world.app.list_notification_targets()(TargetOwner(tenant_slug="acme"), bob_in_acme)
    (target,) = world.app.list_notification_targets()(TargetOwner(tenant_slug="acme"))
    assert target.tenant_id is not None
    assert target.user_id is None


def test_the_sink_queues_one_delivery_per_wanting_target_and_dedups(world: World) -> None:
    world.add()  # waiting, finished
    world.add(url="json://other.example.com/x", events="failed")
    world.sink(waiting())
    world.sink(waiting())  # the same wait again: nothing more
    deliveries = list(world.uow.committed.notice_deliveries.values())
    assert len(deliveries) == 1
    assert deliveries[0].dedup_key == "session:7:waiting:2026-01-01T12:00:00+00:00"
    assert world.wakeup.calls == 1
    world.sink(waiting(since="2026-01-01T12:05:00+00:00"))  # a new wait
    assert len(world.uow.committed.notice_deliveries) == 2


def test_another_users_session_reaches_none_of_my_targets(world: World) -> None:
    world.add()
    world.sink(waiting(user_id=world.bob.user_id or 0))
    assert not world.uow.committed.notice_deliveries
    assert world.wakeup.calls == 0


def test_tenant_events_reach_the_tenants_targets_and_every_tenant_for_jobs(world: World) -> None:
    world.add(events="run-failed,job-failed", tenant_slug="acme")
    run_failed = Notice(
        event=NoticeEvent.RUN_FAILED, tenant_id=1, dedup_key="run:3", title="t", body="b"
    )
    other_tenant = attrs.evolve(run_failed, tenant_id=99, dedup_key="run:4")
    job_failed = Notice(event=NoticeEvent.JOB_FAILED, dedup_key="job:1:x", title="t", body="b")
    world.sink(run_failed, other_tenant, job_failed)
    keys = sorted(d.dedup_key for d in world.uow.committed.notice_deliveries.values())
    assert keys == ["job:1:x", "run:3"]


def test_delivery_sends_the_url_opened_with_the_link_and_records_the_result(
    world: World,
) -> None:
    target_id = world.add()
    world.sink(waiting())
    report = world.app.deliver_notifications()()
    assert (report.sent, report.failed, report.retried) == (1, 0, 0)
    ((url, title, body),) = world.notifier.sent
    assert url == URL
    assert title == "session 7 is waiting"
    assert body.endswith("/sessions/7")
    (delivery,) = world.uow.committed.notice_deliveries.values()
    assert delivery.status is DeliveryStatus.SENT
    assert delivery.attempts == 1
    target = world.uow.committed.notification_targets[target_id]
    assert target.last_result is DeliveryStatus.SENT
    assert target.last_error is None
    assert world.app.deliver_notifications()().claimed == 0  # nothing sent twice


def test_a_failed_delivery_is_retried_with_backoff_then_failed_for_good(world: World) -> None:
    target_id = world.add()
    world.notifier.failures = ["error=500"] * 5
    world.sink(waiting())
    deliver = world.app.deliver_notifications()
    assert deliver().retried == 1
    assert deliver().claimed == 0  # not due before its backoff
    target = world.uow.committed.notification_targets[target_id]
    assert target.last_result is DeliveryStatus.FAILED
    assert target.last_error == "error=500"
    for attempt in range(2, 6):
        world.clock.advance(seconds=backoff(attempt - 1).total_seconds())
        report = deliver()
        assert report.claimed == 1
    assert report.failed == 1
    (delivery,) = world.uow.committed.notice_deliveries.values()
    assert delivery.status is DeliveryStatus.FAILED
    assert delivery.attempts == 5
    assert world.notifier.sent == []


def test_a_retry_after_a_failure_is_sent(world: World) -> None:
    world.add()
    world.notifier.failures = ["error=500"]
    world.sink(waiting())
    deliver = world.app.deliver_notifications()
    assert deliver().retried == 1
    world.clock.advance(seconds=5)
    assert deliver().sent == 1
    assert len(world.notifier.sent) == 1


def test_the_rate_limit_defers_the_excess_without_dropping_it(world: World) -> None:
    world.add(events="waiting")
    world.sink(*(waiting(since=f"2026-01-01T12:{minute:02d}:00+00:00") for minute in range(13)))
    deliver = world.app.deliver_notifications()
    report = deliver()
    assert (report.sent, report.deferred) == (10, 3)
    assert deliver().claimed == 0
    world.clock.advance(seconds=61)
    assert deliver().sent == 3
    assert len(world.notifier.sent) == 13


def test_removing_a_target_drops_its_queued_deliveries(world: World) -> None:
    target_id = world.add()
    world.sink(waiting())
    world.app.remove_notification_target()(target_id)
    assert not world.uow.committed.notice_deliveries
    assert world.app.deliver_notifications()().claimed == 0


def test_a_test_is_queued_and_wakes_the_deliverer(world: World) -> None:
    target_id = world.add()
    delivery = world.app.test_notification_target()(target_id, world.ada)
    assert world.wakeup.calls == 1
    report = world.app.deliver_notifications()()
    assert report.outcomes == {delivery.id: None}
    assert world.notifier.sent[0][1] == "aiops: test notification"


def test_a_url_sealed_under_another_key_fails_with_a_message_and_no_secret(
    world: World,
) -> None:
    target_id = world.add()
    stored = world.uow.committed.notification_targets[target_id]
    world.uow.committed.notification_targets[target_id] = attrs.evolve(
        stored, url_sealed="sealedOTHER:xxx"
    )
    world.sink(waiting())
    world.app.deliver_notifications()()
    target = world.uow.committed.notification_targets[target_id]
    assert target.last_error is not None
    assert "cannot be unsealed" in target.last_error


def test_the_notify_job_drains_due_deliveries(world: World) -> None:
    world.add()
    world.sink(waiting())
    handler = world.app.job_handlers()[JobKind.NOTIFY.value]
    assert handler.check({}) == {}
    with pytest.raises(ValidationError):
        handler.check({"x": 1})
    job = Job(name="notify", kind="notify", schedule=Schedule(every_seconds=30),
              next_run=world.clock.now())  # fmt: skip
    assert handler(job) == "sent 1, retried 0, failed 0, deferred 0"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (URL, "json://hooks.example.com…"),
        ("mailto://user:pw@example.com?smtp=127.0.0.1", "mailto://example.com…"),
        ("slack://T1/B2/C3", "slack://T1…"),
        ("ntfy://[::1]:8080/topic", "ntfy://[::1]…"),
        ("tgram://", "tgram://…"),
    ],
)
def test_masked_urls_keep_scheme_and_host_only(url: str, masked: str) -> None:
    assert mask_url(url) == masked
    assert url_scheme(url) == url.split("://", maxsplit=1)[0]


def test_backoff_grows_and_caps() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [5, 15, 45]
    assert backoff(50) == timedelta(minutes=10)


def test_after_attempt_decides_sent_retry_or_failed(world: World) -> None:
    world.add()
    world.sink(waiting())
    (queued,) = world.uow.committed.notice_deliveries.values()
    now = world.clock.now()
    assert after_attempt(queued, None, now, 3).status is DeliveryStatus.SENT
    retried = after_attempt(queued, "x", now, 3)
    assert retried.status is DeliveryStatus.QUEUED
    assert retried.next_attempt_at > now
    assert after_attempt(attrs.evolve(queued, attempts=2), "x", now, 3).status is (
        DeliveryStatus.FAILED
    )
