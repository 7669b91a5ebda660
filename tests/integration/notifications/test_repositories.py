"""The notification repositories' contract on the fake, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs

from aiops.domain.model.notifications import (
    Delivery,
    DeliveryStatus,
    NoticeEvent,
    NotificationTarget,
)
from aiops.domain.model.users import User
from aiops.ports.unit_of_work import UnitOfWork
from tests.integration.test_repositories import new_uow, seed_tenant

__all__ = ["new_uow"]

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def seed_targets(new_uow: Callable[[], UnitOfWork]) -> tuple[NotificationTarget, ...]:
    tenant = seed_tenant(new_uow)
    with new_uow() as uow:
        ivo = uow.users.add(User(email="ivo@example.com", name="Ivo", username="ivo"))
        mine = uow.notification_targets.add(
            NotificationTarget(user_id=ivo.id, label="phone", url_sealed="sealed:1",
                               url_masked="ntfy://ntfy.sh…", created_at=NOW,
                               events=frozenset({NoticeEvent.WAITING, NoticeEvent.FINISHED}))
        )  # fmt: skip
        team = uow.notification_targets.add(
            NotificationTarget(tenant_id=tenant.id, label="ops", url_sealed="sealed:2",
                               url_masked="slack://T1…", created_at=NOW,
                               events=frozenset({NoticeEvent.RUN_FAILED}))
        )  # fmt: skip
        uow.commit()
    return mine, team


def delivery(target_id: int, key: str, at: datetime = NOW) -> Delivery:
    return Delivery(target_id=target_id, dedup_key=key, event=NoticeEvent.WAITING, title="t",
                    body="b", link="/sessions/1", created_at=at, next_attempt_at=at)  # fmt: skip


def test_targets_round_trip_and_are_found_by_owner_and_event(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    mine, team = seed_targets(new_uow)
    assert mine.id is not None
    assert team.id is not None
    with new_uow() as uow:
        assert uow.notification_targets.get(mine.id) == mine
        assert uow.notification_targets.get(2**40) is None
        assert uow.notification_targets.list(user_id=mine.user_id) == [mine]
        assert uow.notification_targets.list(tenant_id=team.tenant_id) == [team]
        assert uow.notification_targets.list() == [mine, team]
        want = uow.notification_targets.wanting
        assert want(NoticeEvent.WAITING, user_id=mine.user_id, tenant_id=None) == [mine]
        assert want(NoticeEvent.FAILED, user_id=mine.user_id, tenant_id=None) == []
        assert want(NoticeEvent.RUN_FAILED, user_id=None, tenant_id=team.tenant_id) == [team]
        assert want(NoticeEvent.RUN_FAILED, user_id=None, tenant_id=None) == []
        uow.notification_targets.record_result(mine.id, DeliveryStatus.FAILED, "error=500", NOW)
        uow.commit()
    with new_uow() as uow:
        stored = uow.notification_targets.get(mine.id)
    assert stored == attrs.evolve(
        mine, last_result=DeliveryStatus.FAILED, last_error="error=500", last_at=NOW
    )


def test_one_delivery_per_target_and_dedup_key(new_uow: Callable[[], UnitOfWork]) -> None:
    mine, team = seed_targets(new_uow)
    assert mine.id is not None
    assert team.id is not None
    with new_uow() as uow:
        first = uow.notice_deliveries.add(delivery(mine.id, "session:1:waiting:a"))
        twin = uow.notice_deliveries.add(delivery(mine.id, "session:1:waiting:a"))
        other_target = uow.notice_deliveries.add(delivery(team.id, "session:1:waiting:a"))
        uow.commit()
    assert first is not None
    assert first.id is not None
    assert twin is None
    assert other_target is not None
    with new_uow() as uow:
        assert uow.notice_deliveries.get(first.id) == first
        assert uow.notice_deliveries.list_for_target(mine.id) == [first]


def test_claiming_leases_due_deliveries_oldest_first(new_uow: Callable[[], UnitOfWork]) -> None:
    mine, _ = seed_targets(new_uow)
    assert mine.id is not None
    with new_uow() as uow:
        late = uow.notice_deliveries.add(delivery(mine.id, "b", NOW))
        early = uow.notice_deliveries.add(delivery(mine.id, "a", NOW - timedelta(seconds=5)))
        uow.notice_deliveries.add(delivery(mine.id, "c", NOW + timedelta(hours=1)))
        uow.commit()
    assert late is not None
    assert early is not None
    until = NOW + timedelta(minutes=2)
    with new_uow() as uow:
        assert uow.notice_deliveries.any_due(NOW)
        claimed = uow.notice_deliveries.claim_due(NOW, until, 10)
        uow.commit()
    assert {d.dedup_key for d in claimed} == {"a", "b"}
    with new_uow() as uow:
        assert not uow.notice_deliveries.any_due(NOW)
        assert uow.notice_deliveries.claim_due(NOW, until, 10) == []
        again = uow.notice_deliveries.claim_due(until, until + timedelta(minutes=2), 1)
    assert [d.dedup_key for d in again] == ["b"]  # both due at `until`: the first queued


def test_attempts_count_per_target_and_removal_takes_the_deliveries(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    mine, team = seed_targets(new_uow)
    assert mine.id is not None
    assert team.id is not None
    with new_uow() as uow:
        queued = uow.notice_deliveries.add(delivery(mine.id, "a"))
        assert queued is not None
        uow.notice_deliveries.update(
            attrs.evolve(queued, status=DeliveryStatus.SENT, attempts=1, last_attempt_at=NOW,
                         sent_at=NOW)
        )  # fmt: skip
        uow.notice_deliveries.add(delivery(team.id, "b"))
        uow.commit()
    with new_uow() as uow:
        assert uow.notice_deliveries.attempts_since(mine.id, NOW - timedelta(minutes=1)) == 1
        assert uow.notice_deliveries.attempts_since(mine.id, NOW + timedelta(seconds=1)) == 0
        assert uow.notice_deliveries.attempts_since(team.id, NOW - timedelta(minutes=1)) == 0
        uow.notification_targets.remove(mine.id)
        uow.commit()
    with new_uow() as uow:
        assert uow.notification_targets.get(mine.id) is None
        assert uow.notice_deliveries.list_for_target(mine.id) == []
        assert len(uow.notice_deliveries.list_for_target(team.id)) == 1
        assert {s.kind for s in uow.sealed_secrets.all()} == {"notification url"}
