"""Fakes of the notification ports: the targets and the delivery queue (over the fake unit of
work's state), and a Notifier that records what it sent and fails when told to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from aiops.domain.errors import NotFound
from aiops.domain.model.notifications import (
    Delivery,
    DeliveryStatus,
    NoticeEvent,
    NotificationTarget,
)

if TYPE_CHECKING:
    from tests.fakes.unit_of_work import State


class FakeNotificationTargets:
    def __init__(self, state: State) -> None:
        self._s = state

    def add(self, target: NotificationTarget) -> NotificationTarget:
        target = attrs.evolve(target, id=self._s.new_id())
        assert target.id is not None
        self._s.notification_targets[target.id] = target
        return target

    def get(self, target_id: int) -> NotificationTarget | None:
        return self._s.notification_targets.get(target_id)

    def remove(self, target_id: int) -> None:
        self._s.notification_targets.pop(target_id, None)
        for delivery in list(self._s.notice_deliveries.values()):
            if delivery.target_id == target_id:
                assert delivery.id is not None
                del self._s.notice_deliveries[delivery.id]

    def list(
        self, *, user_id: int | None = None, tenant_id: int | None = None
    ) -> Sequence[NotificationTarget]:
        return [
            target
            for _, target in sorted(self._s.notification_targets.items())
            if user_id in (None, target.user_id) and tenant_id in (None, target.tenant_id)
        ]

    def wanting(
        self, event: NoticeEvent, *, user_id: int | None, tenant_id: int | None
    ) -> Sequence[NotificationTarget]:
        return [
            target
            for _, target in sorted(self._s.notification_targets.items())
            if event in target.events
            and (
                (user_id is not None and target.user_id == user_id)
                or (tenant_id is not None and target.tenant_id == tenant_id)
            )
        ]

    def record_result(
        self, target_id: int, result: DeliveryStatus, error: str | None, at: datetime
    ) -> None:
        target = self._s.notification_targets.get(target_id)
        if target is not None:
            self._s.notification_targets[target_id] = attrs.evolve(
                target, last_result=result, last_error=error, last_at=at
            )


class FakeDeliveryQueue:
    def __init__(self, state: State) -> None:
        self._s = state

    def add(self, delivery: Delivery) -> Delivery | None:
        if any(
            d.target_id == delivery.target_id and d.dedup_key == delivery.dedup_key
            for d in self._s.notice_deliveries.values()
        ):
            return None
        delivery = attrs.evolve(delivery, id=self._s.new_id())
        assert delivery.id is not None
        self._s.notice_deliveries[delivery.id] = delivery
        return delivery

    def get(self, delivery_id: int) -> Delivery | None:
        return self._s.notice_deliveries.get(delivery_id)

    def update(self, delivery: Delivery) -> Delivery:
        if delivery.id not in self._s.notice_deliveries:
            raise NotFound(f"delivery {delivery.id} does not exist")
        self._s.notice_deliveries[delivery.id] = delivery
        return delivery

    def any_due(self, now: datetime) -> bool:
        return any(
            d.status is DeliveryStatus.QUEUED and d.next_attempt_at <= now
            for d in self._s.notice_deliveries.values()
        )

    def claim_due(self, now: datetime, until: datetime, limit: int) -> Sequence[Delivery]:
        due = sorted(
            (
                d
                for d in self._s.notice_deliveries.values()
                if d.status is DeliveryStatus.QUEUED and d.next_attempt_at <= now
            ),
            key=lambda d: (d.next_attempt_at, d.id or 0),
        )[:limit]
        for delivery in due:
            assert delivery.id is not None
            self._s.notice_deliveries[delivery.id] = attrs.evolve(delivery, next_attempt_at=until)
        return sorted(due, key=lambda d: d.id or 0)

    def attempts_since(self, target_id: int, since: datetime) -> int:
        return sum(
            1
            for d in self._s.notice_deliveries.values()
            if d.target_id == target_id
            and d.last_attempt_at is not None
            and d.last_attempt_at >= since
        )

    def list_for_target(self, target_id: int, limit: int = 20) -> Sequence[Delivery]:
        found = [d for d in self._s.notice_deliveries.values() if d.target_id == target_id]
        return sorted(found, key=lambda d: d.id or 0, reverse=True)[:limit]


@attrs.define
class FakeNotifier:
    """Sends nowhere: records (url, title, body); `failures` answers the next sends with an
    error each. URLs starting "bad://" are refused as apprise would refuse an unknown one."""

    sent: list[tuple[str, str, str]] = attrs.field(factory=list)
    failures: list[str] = attrs.field(factory=list)

    def problem(self, url: str) -> str | None:
        return "apprise does not know this URL" if url.startswith("bad://") else None

    def send(self, url: str, title: str, body: str) -> str | None:
        if self.failures:
            return self.failures.pop(0)
        self.sent.append((url, title, body))
        return None


@attrs.define
class CountingWakeup:
    calls: int = 0

    def __call__(self) -> None:
        self.calls += 1
