"""Create, update and list tenants."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from aiops.domain.errors import Conflict, NotFound, ValidationError
from aiops.domain.model import validation
from aiops.domain.model.access import SYSTEM, Actor, Permission
from aiops.domain.model.tenants import DEFAULT_COLOR, Tenant
from aiops.domain.usecases._audit import record
from aiops.ports.clock import Clock
from aiops.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


@attrs.frozen(kw_only=True)
class CreateTenantCommand:
    slug: str
    name: str
    color: str = DEFAULT_COLOR
    actor: Actor = SYSTEM


@attrs.frozen(kw_only=True)
class UpdateTenantCommand:
    slug: str
    name: str | None = None
    color: str | None = None
    actor: Actor = SYSTEM


def require_tenant(uow: UnitOfWork, slug: str) -> Tenant:
    """The tenant of that slug; NotFound for any other text (which is never sent to the
    database: PostgreSQL refuses a NUL byte with an error, not an empty result)."""
    missing = NotFound(f"tenant {slug[:80]!r} does not exist")
    try:
        tenant = uow.tenants.get_by_slug(validation.slug(slug))
    except ValidationError:
        raise missing from None
    if tenant is None:
        raise missing
    return tenant


class CreateTenant:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, cmd: CreateTenantCommand) -> Tenant:
        cmd.actor.require_admin()
        tenant = Tenant(slug=cmd.slug, name=cmd.name, color=cmd.color)
        with self._uow() as uow:
            if uow.tenants.get_by_slug(tenant.slug) is not None:
                raise Conflict(f"tenant {tenant.slug!r} already exists")
            tenant = uow.tenants.add(tenant)
            record(
                uow,
                self._clock,
                actor=cmd.actor.name,
                action="tenant.created",
                target=f"tenant:{tenant.slug}",
                tenant=tenant.slug,
                name=tenant.name,
                color=tenant.color,
            )
            uow.commit()
        return tenant


class UpdateTenant:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, cmd: UpdateTenantCommand) -> Tenant:
        with self._uow() as uow:
            before = require_tenant(uow, cmd.slug)
            cmd.actor.require(Permission.MANAGE, before)
            after = attrs.evolve(
                before,
                name=before.name if cmd.name is None else cmd.name,
                color=before.color if cmd.color is None else cmd.color,
            )
            if after == before:
                return before
            after = uow.tenants.update(after)
            record(
                uow,
                self._clock,
                actor=cmd.actor.name,
                action="tenant.updated",
                target=f"tenant:{after.slug}",
                tenant=after.slug,
                name=after.name,
                color=after.color,
            )
            uow.commit()
        return after


class GetTenant:
    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, slug: str, actor: Actor = SYSTEM) -> Tenant:
        with self._uow(read_only=True) as uow:
            tenant = require_tenant(uow, slug)
            actor.require(Permission.VIEW, tenant)
            return tenant


class ListTenants:
    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, actor: Actor = SYSTEM) -> Sequence[Tenant]:
        with self._uow(read_only=True) as uow:
            return [t for t in uow.tenants.list() if actor.may(Permission.VIEW, t.id or 0)]
