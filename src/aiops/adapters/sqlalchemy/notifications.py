"""SqlNotificationTargetRepository and SqlDeliveryQueue: notification targets (their apprise
URL sealed) and the deliveries queued for them.

Claiming due deliveries: the claim moves their `next_attempt_at` to the end of a lease, so a
second deliverer (the web server's thread, a scheduler's `notify` job) skips them; one that
dies mid-send leaves them due again when the lease ends. PostgreSQL selects them `FOR UPDATE
SKIP LOCKED`; SQLite's writing unit of work holds the write lock from its BEGIN.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs
from sqlalchemy import ColumnElement, Connection, Row, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from aiops.adapters.sqlalchemy import tables as t
from aiops.adapters.sqlalchemy.repositories import MAX_ID, _conflict_on_integrity_error, _new_id
from aiops.domain.errors import NotFound
from aiops.domain.model.notifications import (
    Delivery,
    DeliveryStatus,
    NoticeEvent,
    NotificationTarget,
    format_events,
)

T = t.notification_targets.c
D = t.notice_deliveries.c


def target_from_row(row: Row[Any]) -> NotificationTarget:
    return NotificationTarget(
        id=row.id,
        user_id=row.user_id,
        tenant_id=row.tenant_id,
        label=row.label,
        url_sealed=row.url_sealed,
        url_masked=row.url_masked,
        events=frozenset(NoticeEvent(name) for name in row.events.split(",") if name),
        created_at=row.created_at,
        last_result=DeliveryStatus(row.last_result) if row.last_result else None,
        last_error=row.last_error,
        last_at=row.last_at,
    )


def delivery_from_row(row: Row[Any]) -> Delivery:
    return Delivery(
        id=row.id,
        target_id=row.target_id,
        dedup_key=row.dedup_key,
        event=NoticeEvent(row.event),
        title=row.title,
        body=row.body,
        link=row.link,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        last_attempt_at=row.last_attempt_at,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


def _delivery_values(delivery: Delivery) -> dict[str, Any]:
    values = attrs.asdict(delivery, recurse=False)
    del values["id"]
    values["event"] = delivery.event.value
    values["status"] = delivery.status.value
    return values


class SqlNotificationTargetRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, target: NotificationTarget) -> NotificationTarget:
        values = attrs.asdict(target, recurse=False)
        del values["id"]
        values["events"] = format_events(target.events)
        values["last_result"] = target.last_result.value if target.last_result else None
        with _conflict_on_integrity_error("notification target"):
            result = self._c.execute(insert(t.notification_targets).values(values))
        return attrs.evolve(target, id=_new_id(result))

    def get(self, target_id: int) -> NotificationTarget | None:
        if not 0 < target_id <= MAX_ID:
            return None
        row = self._c.execute(select(t.notification_targets).where(T.id == target_id)).first()
        return None if row is None else target_from_row(row)

    def remove(self, target_id: int) -> None:
        self._c.execute(delete(t.notice_deliveries).where(D.target_id == target_id))
        self._c.execute(delete(t.notification_targets).where(T.id == target_id))

    def list(
        self, *, user_id: int | None = None, tenant_id: int | None = None
    ) -> Sequence[NotificationTarget]:
        criteria: list[ColumnElement[bool]] = []
        if user_id is not None:
            criteria.append(T.user_id == user_id)
        if tenant_id is not None:
            criteria.append(T.tenant_id == tenant_id)
        query = select(t.notification_targets).where(*criteria).order_by(T.id)
        return [target_from_row(row) for row in self._c.execute(query)]

    def wanting(
        self, event: NoticeEvent, *, user_id: int | None, tenant_id: int | None
    ) -> Sequence[NotificationTarget]:
        owners: list[ColumnElement[bool]] = []
        if user_id is not None:
            owners.append(T.user_id == user_id)
        if tenant_id is not None:
            owners.append(T.tenant_id == tenant_id)
        if not owners:
            return []
        query = select(t.notification_targets).where(or_(*owners)).order_by(T.id)
        found = [target_from_row(row) for row in self._c.execute(query)]
        return [target for target in found if event in target.events]

    def record_result(
        self, target_id: int, result: DeliveryStatus, error: str | None, at: datetime
    ) -> None:
        self._c.execute(
            update(t.notification_targets)
            .where(T.id == target_id)
            .values(last_result=result.value, last_error=error, last_at=at)
        )


class SqlDeliveryQueue:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, delivery: Delivery) -> Delivery | None:
        seen = select(D.id).where(
            D.target_id == delivery.target_id, D.dedup_key == delivery.dedup_key
        )
        if self._c.execute(seen).first() is not None:
            return None
        try:
            # A savepoint: a concurrent twin's insert must not abort the whole transaction.
            with self._c.begin_nested():
                result = self._c.execute(
                    insert(t.notice_deliveries).values(_delivery_values(delivery))
                )
        except IntegrityError:
            return None
        return attrs.evolve(delivery, id=_new_id(result))

    def get(self, delivery_id: int) -> Delivery | None:
        if not 0 < delivery_id <= MAX_ID:
            return None
        row = self._c.execute(select(t.notice_deliveries).where(D.id == delivery_id)).first()
        return None if row is None else delivery_from_row(row)

    def update(self, delivery: Delivery) -> Delivery:
        result = self._c.execute(
            update(t.notice_deliveries)
            .where(D.id == (delivery.id or 0))
            .values(_delivery_values(delivery))
        )
        if result.rowcount != 1:
            raise NotFound(f"delivery {delivery.id} does not exist")
        return delivery

    def any_due(self, now: datetime) -> bool:
        due = select(D.id).where(D.status == DeliveryStatus.QUEUED.value, D.next_attempt_at <= now)
        return self._c.execute(due.limit(1)).first() is not None

    def claim_due(self, now: datetime, until: datetime, limit: int) -> Sequence[Delivery]:
        due = (
            select(D.id)
            .where(D.status == DeliveryStatus.QUEUED.value, D.next_attempt_at <= now)
            .order_by(D.next_attempt_at, D.id)
            .limit(limit)
        )
        if self._c.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = list(self._c.scalars(due))
        if not ids:
            return []
        rows = self._c.execute(select(t.notice_deliveries).where(D.id.in_(ids)).order_by(D.id))
        claimed = [delivery_from_row(row) for row in rows]
        self._c.execute(
            update(t.notice_deliveries).where(D.id.in_(ids)).values(next_attempt_at=until)
        )
        return claimed

    def attempts_since(self, target_id: int, since: datetime) -> int:
        count = select(func.count()).where(D.target_id == target_id, D.last_attempt_at >= since)
        return int(self._c.execute(count).scalar_one())

    def list_for_target(self, target_id: int, limit: int = 20) -> Sequence[Delivery]:
        query = (
            select(t.notice_deliveries)
            .where(D.target_id == target_id)
            .order_by(D.id.desc())
            .limit(limit)
        )
        return [delivery_from_row(row) for row in self._c.execute(query)]
