"""Read the audit trail."""

from __future__ import annotations

from collections.abc import Sequence

from aiops.domain.errors import ValidationError
from aiops.domain.model.access import SYSTEM, Actor
from aiops.domain.model.audit import AuditEvent
from aiops.ports.unit_of_work import AuditQuery, UnitOfWorkFactory

AUDIT_LIMIT_MAX = 10_000


class DataVersion:
    """A number that changes whenever recorded data changes (caches key on it)."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self) -> int:
        with self._uow(read_only=True) as uow:
            return uow.audit.latest_id()


class ListAuditEvents:
    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, query: AuditQuery, actor: Actor = SYSTEM) -> Sequence[AuditEvent]:
        actor.require_admin()
        if not 1 <= query.limit <= AUDIT_LIMIT_MAX:
            raise ValidationError("limit", f"must be between 1 and {AUDIT_LIMIT_MAX}")
        if query.since and query.until and query.since > query.until:
            raise ValidationError("since", "must not be after --until")
        with self._uow(read_only=True) as uow:
            return uow.audit.list(query)
