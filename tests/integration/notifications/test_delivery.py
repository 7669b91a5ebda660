"""Notifications end to end on SQLite and PostgreSQL: targets added through the use cases,
notices queued by the sink, delivered by apprise to a JSON receiver and an SMTP server on
127.0.0.1 (retried after a 500, deduplicated), and the web server's delivery thread's speed."""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import attrs
import pytest
from sqlalchemy import Engine, text

from aiops import bootstrap
from aiops.config import Settings
from aiops.container import Container
from aiops.domain.model.notifications import DeliveryStatus, Notice, NoticeEvent
from aiops.domain.usecases.notifications import AddTargetCommand, TargetOwner
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand
from tests.fakes import FakeClock
from tests.integration.notifications.conftest import JsonReceiver, Mailbox

SECRETS = ("s3cr3t-pass", "tok-0123456789", "hook-user")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 12, 3, 12, 0, tzinfo=UTC))


@pytest.fixture
def aiops(settings: Settings, migrated: Engine, clock: FakeClock) -> Iterator[Container]:
    container = bootstrap(settings, clock=clock)
    container.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    container.create_user()(CreateUserCommand(email="ada@example.com", name="Ada"))
    yield container
    container.shutdown_resources()


@pytest.fixture
def root_log() -> Iterator[list[str]]:
    """Every record that reaches the root logger (where aiops's logging writes), at DEBUG."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(f"{record.name}: {record.getMessage()}")

    root = logging.getLogger()
    handler, level = Collect(logging.DEBUG), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield lines
    root.removeHandler(handler)
    root.setLevel(level)


def add_target(aiops: Container, url: str, events: str = "waiting,finished") -> int:
    target = aiops.add_notification_target()(
        AddTargetCommand(owner=TargetOwner(user_email="ada@example.com"), url=url, events=events)
    )
    assert target.id is not None
    return target.id


def ada_id(aiops: Container) -> int:
    (user,) = [u for u in aiops.list_users()() if u.email == "ada@example.com"]
    assert user.id is not None
    return user.id


def queue(aiops: Container, notice: Notice) -> None:
    with aiops.uow() as uow:
        aiops.notice_sink()(uow, [notice])
        uow.commit()


def waiting(user_id: int, since: str = "2026-12-03T12:00:00+00:00") -> Notice:
    return Notice(event=NoticeEvent.WAITING, user_id=user_id, tenant_id=None,
                  dedup_key=f"session:7:waiting:{since}", title="session 7 is waiting",
                  body="claude needs your permission", link="/sessions/7")  # fmt: skip


def test_a_500_is_retried_and_the_second_try_delivers(
    aiops: Container, clock: FakeClock, json_receiver: JsonReceiver, migrated: Engine,
    root_log: list[str],
) -> None:  # fmt: skip
    target_id = add_target(aiops, json_receiver.url())
    json_receiver.statuses = [500]
    queue(aiops, waiting(ada_id(aiops)))
    deliver = aiops.deliver_notifications()

    first = deliver()
    (failed_target,) = aiops.list_notification_targets()(TargetOwner(user_email="ada@example.com"))
    clock.advance(seconds=5)
    second = deliver()

    assert (first.retried, second.sent) == (1, 1)
    assert len(json_receiver.posts) == 2
    _, payload, _, _ = json_receiver.posts[1]
    assert payload["title"] == "session 7 is waiting"
    assert payload["message"].endswith("/sessions/7")
    assert failed_target.last_result is DeliveryStatus.FAILED
    assert failed_target.last_error is not None
    assert "500" in failed_target.last_error
    (target,) = aiops.list_notification_targets()(TargetOwner(user_email="ada@example.com"))
    assert target.id == target_id
    assert target.last_result is DeliveryStatus.SENT
    with migrated.connect() as connection:
        stored = connection.execute(text("SELECT * FROM notification_targets")).all()
        errors = connection.execute(text("SELECT last_error FROM notice_deliveries")).all()
    for secret in SECRETS:
        assert secret not in repr(stored)
        assert secret not in repr(errors)
        assert secret not in (failed_target.last_error or "")
        assert secret not in "\n".join(root_log)


def test_the_same_notice_twice_is_delivered_once(
    aiops: Container, json_receiver: JsonReceiver, migrated: Engine
) -> None:
    add_target(aiops, json_receiver.url())
    queue(aiops, waiting(ada_id(aiops)))
    queue(aiops, waiting(ada_id(aiops)))

    assert aiops.deliver_notifications()().sent == 1
    assert aiops.deliver_notifications()().claimed == 0
    assert len(json_receiver.posts) == 1
    with migrated.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM notice_deliveries")).scalar() == 1


def test_mail_reaches_the_smtp_server(aiops: Container, smtp_server: Mailbox) -> None:
    add_target(aiops, smtp_server.url(), events="finished")
    finished = Notice(event=NoticeEvent.FINISHED, user_id=ada_id(aiops), dedup_key="s:7:f",
                      title="session 7 finished", body="the agent is done")  # fmt: skip
    queue(aiops, finished)

    assert aiops.deliver_notifications()().sent == 1
    ((_, recipients, content),) = smtp_server.messages
    assert recipients == ["ada@example.com"]
    assert "Subject: session 7 finished" in content


def test_the_delivery_thread_delivers_within_two_seconds_at_p95(
    settings: Settings, migrated: Engine, json_receiver: JsonReceiver
) -> None:
    # the system clock (the thread's timing is real), and no rate limit in the way of 20 notices
    aiops = bootstrap(attrs.evolve(settings, notify_per_minute=1000))
    aiops.create_user()(CreateUserCommand(email="ada@example.com", name="Ada"))
    add_target(aiops, json_receiver.url(), events="waiting")
    thread = aiops.gateways.notice_wakeup()
    thread.start(aiops.deliver_notifications(), poll=30.0)  # only the wake-up can be this quick
    latencies = []
    try:
        for n in range(20):
            queued = time.monotonic()
            queue(aiops, waiting(ada_id(aiops), since=f"2026-12-03T12:00:{n:02d}+00:00"))
            json_receiver.wait_for(n + 1, timeout=10)
            latencies.append(json_receiver.posts[n][3] - queued)
    finally:
        thread.stop()
        aiops.shutdown_resources()
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(f"queued -> delivered: median {statistics.median(latencies) * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms")  # fmt: skip
    assert p95 <= 2.0
