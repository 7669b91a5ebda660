"""The look-ups many use cases start with: a project with its tenant, a user by email, the
user as an actor, the user's own Linux account.

Kept apart from the use cases they came from (projects, users, auth) so that a use case
needing only a look-up, such as `aiops git status`, does not import every project, user
and sign-in use case with it (docs/adr/0002-fast-cli-start.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiops.domain.errors import NotFound
from aiops.domain.model import validation
from aiops.domain.model.access import Actor, Permission

if TYPE_CHECKING:
    from aiops.domain.model.projects import Project
    from aiops.domain.model.tenants import Tenant
    from aiops.domain.model.users import User
    from aiops.domain.model.workspaces import WorkspacePolicy
    from aiops.ports.unit_of_work import UnitOfWork


def require_project(uow: UnitOfWork, project_id: int, actor: Actor) -> tuple[Project, Tenant]:
    """The project and its tenant, when the actor may see them (NotFound otherwise)."""
    missing = f"project {project_id} does not exist"
    project = uow.projects.get(project_id)
    tenant = uow.tenants.get(project.tenant_id) if project else None
    if project is None or tenant is None:
        raise NotFound(missing)
    actor.require(Permission.VIEW, tenant, missing)
    return project, tenant


def require_user(uow: UnitOfWork, email: str) -> User:
    user = uow.users.get_by_email(validation.email(email))
    if user is None:
        raise NotFound(f"user {email[:80]!r} does not exist")
    return user


def actor_for(uow: UnitOfWork, user: User) -> Actor:
    assert user.id is not None
    roles = {m.tenant_id: m.role for m in uow.memberships.list_for_user(user.id)}
    return Actor(name=user.email, user_id=user.id, is_admin=user.is_admin, roles=roles)


def own_account(uow: UnitOfWork, policy: WorkspacePolicy, user: User) -> str | None:
    """The user's Linux account (policy.account_for; None: none), refused (AccountTaken) when
    another user's is the same one, as a mapping changed since the users were made can do."""
    clash = policy.account_clash(user, uow.users.list())
    if clash is not None:
        raise clash
    return policy.account_for(user)
