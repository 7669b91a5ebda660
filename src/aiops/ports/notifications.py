"""Where notices go (issue 18): queued in the transaction that records what happened, then
delivered through a Notifier (apprise) outside any request."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from aiops.domain.model.notifications import (
    Delivery,
    DeliveryStatus,
    Notice,
    NoticeEvent,
    NotificationTarget,
)
from aiops.ports.unit_of_work import UnitOfWork


class NoticeSink(Protocol):
    def __call__(self, uow: UnitOfWork, notices: Sequence[Notice]) -> None:
        """Queue deliveries of `notices` to the targets that want them, in `uow`'s
        transaction (committed by the caller)."""
        ...


class NotificationTargetRepository(Protocol):
    def add(self, target: NotificationTarget) -> NotificationTarget: ...
    def get(self, target_id: int) -> NotificationTarget | None: ...
    def remove(self, target_id: int) -> None:
        """The target and its deliveries."""
        ...

    def list(
        self, *, user_id: int | None = None, tenant_id: int | None = None
    ) -> Sequence[NotificationTarget]:
        """Oldest first: a user's own targets, a tenant's, or (neither given) every one."""
        ...

    def wanting(
        self, event: NoticeEvent, *, user_id: int | None, tenant_id: int | None
    ) -> Sequence[NotificationTarget]:
        """The user's targets and the tenant's targets that subscribe to `event`."""
        ...

    def record_result(
        self, target_id: int, result: DeliveryStatus, error: str | None, at: datetime
    ) -> None: ...


class DeliveryQueue(Protocol):
    def add(self, delivery: Delivery) -> Delivery | None:
        """The queued delivery; None, and nothing written, when its target already has one
        with the same dedup key."""
        ...

    def get(self, delivery_id: int) -> Delivery | None: ...
    def update(self, delivery: Delivery) -> Delivery: ...

    def any_due(self, now: datetime) -> bool:
        """Whether a queued delivery is due at `now` (a read: no claim)."""
        ...

    def claim_due(self, now: datetime, until: datetime, limit: int) -> Sequence[Delivery]:
        """Up to `limit` queued deliveries due at `now`, oldest first, made due again only
        at `until` (a lease: another deliverer skips them meanwhile)."""
        ...

    def attempts_since(self, target_id: int, since: datetime) -> int:
        """How many deliveries to the target were tried at `since` or later."""
        ...

    def list_for_target(self, target_id: int, limit: int = 20) -> Sequence[Delivery]:
        """Newest first."""
        ...


class Notifier(Protocol):
    """Sends one message to an apprise URL."""

    def problem(self, url: str) -> str | None:
        """Why `url` cannot be used (None: it can); never echoes the URL."""
        ...

    def send(self, url: str, title: str, body: str) -> str | None:
        """None when sent; otherwise one line saying why, with no part of the URL in it."""
        ...


class DeliveryWakeup(Protocol):
    """Tells an in-process deliverer that deliveries were queued (a no-op without one)."""

    def __call__(self) -> None: ...
