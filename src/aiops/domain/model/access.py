"""Who is acting, and what they may do.

A global admin may do everything. In a tenant: an owner manages the tenant, its projects and
members; a member uses its projects; a viewer reads. Someone with no role in a tenant must not
learn that it exists: checks raise NotFound for them, PermissionDenied only for those who can
see the thing but not change it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

from aiops.domain.errors import NotFound, PermissionDenied
from aiops.domain.model.tenants import Role, Tenant
from aiops.domain.model.users import User


class Permission(enum.IntEnum):
    VIEW = 1
    USE = 2
    MANAGE = 3


_GRANTS = {Role.VIEWER: Permission.VIEW, Role.MEMBER: Permission.USE, Role.OWNER: Permission.MANAGE}


@attrs.frozen
class Actor:
    """The one acting: a signed-in user (with their roles by tenant id) or the system/CLI."""

    name: str
    user_id: int | None = None
    is_admin: bool = False
    roles: Mapping[int, Role] = attrs.field(factory=dict)

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(name=name, is_admin=True)

    def may(self, permission: Permission, tenant_id: int) -> bool:
        if self.is_admin:
            return True
        role = self.roles.get(tenant_id)
        return role is not None and _GRANTS[role] >= permission

    def require(self, permission: Permission, tenant: Tenant, what: str | None = None) -> None:
        assert tenant.id is not None
        if self.may(permission, tenant.id):
            return
        if not self.may(Permission.VIEW, tenant.id):
            raise NotFound(what or f"tenant {tenant.slug!r} does not exist")
        raise PermissionDenied(
            f"your role in tenant {tenant.slug!r} does not allow this "
            f"(needs {'owner' if permission is Permission.MANAGE else 'member'})"
        )

    def require_admin(self) -> None:
        if not self.is_admin:
            raise PermissionDenied("only a global admin may do this")

    @property
    def manages_some_tenant(self) -> bool:
        """A global admin, or the owner of at least one tenant (who manages those tenants)."""
        return self.is_admin or Role.OWNER in self.roles.values()


SYSTEM = Actor.system()


def may_act_for(actor: Actor, user_id: int | None) -> bool:
    """Whether the actor may act as this user: themselves; global admins and the system (the
    CLI) anyone."""
    return actor.is_admin or (user_id is not None and user_id == actor.user_id)


def require_acting_for(actor: Actor, user: User, only: str) -> None:
    """PermissionDenied, saying what the actor may do instead ("you may only <only>"), unless
    the actor may act as `user`."""
    if not may_act_for(actor, user.id):
        raise PermissionDenied(f"you may only {only}")
