"""SqlWebhookDeliveryLog: the delivery ids and body digests a connection's webhook has seen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, or_, select
from sqlalchemy.exc import IntegrityError

from aiops.adapters.sqlalchemy import tables as t


class SqlWebhookDeliveryLog:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(
        self,
        connection_id: int,
        delivery_id: str,
        received_at: datetime,
        *,
        body_sha256: str | None = None,
    ) -> bool:
        d = t.webhook_deliveries.c
        same = d.delivery_id == delivery_id
        if body_sha256 is not None:
            same = or_(same, d.body_sha256 == body_sha256)
        seen = select(d.id).where(d.connection_id == connection_id, same)
        if self._c.execute(seen).first() is not None:
            return False
        row = {
            "connection_id": connection_id,
            "delivery_id": delivery_id,
            "body_sha256": body_sha256,
        }
        try:
            # A savepoint: a concurrent twin's insert must not abort the whole transaction.
            with self._c.begin_nested():
                self._c.execute(insert(t.webhook_deliveries).values(**row, received_at=received_at))
        except IntegrityError:
            return False
        return True

    def forget_before(self, connection_id: int, moment: datetime) -> int:
        d = t.webhook_deliveries.c
        gone = delete(t.webhook_deliveries).where(
            d.connection_id == connection_id, d.received_at < moment
        )
        return self._c.execute(gone).rowcount
