"""The unit of work and its repositories.

A unit of work is one transaction: entering it opens a session, `commit()` makes the
changes durable, and leaving the block without a commit rolls everything back.
Repositories never commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

import attrs

from aiops.domain.model.audit import AuditEvent
from aiops.domain.model.projects import Project
from aiops.domain.model.tenants import Membership, Tenant
from aiops.domain.model.users import User


class TenantRepository(Protocol):
    def add(self, tenant: Tenant) -> Tenant: ...
    def update(self, tenant: Tenant) -> Tenant: ...
    def get(self, tenant_id: int) -> Tenant | None: ...
    def get_by_slug(self, slug: str) -> Tenant | None: ...
    def list(self) -> Sequence[Tenant]: ...


class UserRepository(Protocol):
    def add(self, user: User) -> User: ...
    def update(self, user: User) -> User: ...
    def get(self, user_id: int) -> User | None: ...
    def get_by_email(self, email: str) -> User | None: ...
    def get_by_username(self, username: str) -> User | None: ...
    def list(self) -> Sequence[User]: ...


class MembershipRepository(Protocol):
    def add(self, membership: Membership) -> Membership: ...
    def update(self, membership: Membership) -> Membership: ...
    def get(self, user_id: int, tenant_id: int) -> Membership | None: ...
    def list_for_tenant(self, tenant_id: int) -> Sequence[Membership]: ...
    def list_for_user(self, user_id: int) -> Sequence[Membership]: ...


class ProjectRepository(Protocol):
    def add(self, project: Project) -> Project: ...
    def update(self, project: Project) -> Project: ...
    def get(self, project_id: int) -> Project | None: ...
    def get_by_slug(self, tenant_id: int, slug: str) -> Project | None: ...
    def list(self, tenant_id: int | None = None) -> Sequence[Project]: ...


@attrs.frozen
class AuditQuery:
    actor: str | None = None
    tenant: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100


class AuditLog(Protocol):
    def add(self, event: AuditEvent) -> AuditEvent: ...
    def list(self, query: AuditQuery) -> Sequence[AuditEvent]:
        """Newest first."""
        ...


class UnitOfWork(Protocol):
    tenants: TenantRepository
    users: UserRepository
    memberships: MembershipRepository
    projects: ProjectRepository
    audit: AuditLog

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
