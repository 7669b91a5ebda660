"""Recording audit events inside the use case's transaction."""

from __future__ import annotations

from aiops.domain.model.audit import AuditEvent, DetailValue
from aiops.ports.clock import Clock
from aiops.ports.unit_of_work import UnitOfWork


def record(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: str,
    action: str,
    target: str,
    tenant: str | None = None,
    **detail: DetailValue,
) -> None:
    uow.audit.add(
        AuditEvent(
            actor=actor, action=action, target=target, at=clock.now(), tenant=tenant, detail=detail
        )
    )
