"""Give users a role in a tenant; list a tenant's members."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from aiops.domain.model.access import SYSTEM, Actor, Permission
from aiops.domain.model.tenants import Membership, Role
from aiops.domain.model.users import GrantSource, User
from aiops.domain.usecases._audit import record
from aiops.domain.usecases._lookups import require_user
from aiops.domain.usecases.tenants import require_tenant
from aiops.ports.clock import Clock
from aiops.ports.unit_of_work import UnitOfWorkFactory


@attrs.frozen(kw_only=True)
class AddMemberCommand:
    """Give a user a role in a tenant; a member who has another role gets this one instead.
    Made by hand: the provider's groups never change it afterwards (issue 20)."""

    tenant: str
    email: str
    role: str
    actor: Actor = SYSTEM


@attrs.frozen
class Member:
    user: User
    role: Role
    source: GrantSource = GrantSource.MANUAL  # by hand, or from the provider's groups


class AddMember:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, cmd: AddMemberCommand) -> Membership:
        role = Role.parse(cmd.role)
        with self._uow() as uow:
            tenant = require_tenant(uow, cmd.tenant)
            cmd.actor.require(Permission.MANAGE, tenant)
            user = require_user(uow, cmd.email)
            assert tenant.id is not None
            assert user.id is not None
            existing = uow.memberships.get(user.id, tenant.id)
            manual = GrantSource.MANUAL
            if existing is not None and (existing.role, existing.source) == (role, manual):
                return existing
            wanted = Membership(user_id=user.id, tenant_id=tenant.id, role=role, source=manual)
            if existing is None:
                membership = uow.memberships.add(wanted)
                action = "membership.added"
            else:
                membership = uow.memberships.update(wanted)
                action = "membership.role_changed"
            record(
                uow,
                self._clock,
                actor=cmd.actor.name,
                action=action,
                target=f"user:{user.email}",
                tenant=tenant.slug,
                role=role.value,
                previous_role=existing.role.value if existing else None,
                source=manual.value,
                previous_source=existing.source.value if existing else None,
            )
            uow.commit()
        return membership


class ListMembers:
    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, tenant_slug: str, actor: Actor = SYSTEM) -> Sequence[Member]:
        with self._uow(read_only=True) as uow:
            tenant = require_tenant(uow, tenant_slug)
            actor.require(Permission.VIEW, tenant)
            assert tenant.id is not None
            members = []
            for membership in uow.memberships.list_for_tenant(tenant.id):
                user = uow.users.get(membership.user_id)
                if user is not None:
                    members.append(
                        Member(user=user, role=membership.role, source=membership.source)
                    )
            return members
