"""SeedDefaults: the admin, a default tenant and project. Running it again changes nothing."""

from __future__ import annotations

import secrets

import attrs

from aiops.domain.errors import ValidationError
from aiops.domain.model import validation
from aiops.domain.model.access import SYSTEM, Actor
from aiops.domain.model.projects import Project
from aiops.domain.model.tenants import Tenant
from aiops.domain.model.users import User
from aiops.domain.model.workspaces import WorkspacePolicy
from aiops.domain.usecases._audit import record
from aiops.domain.usecases.users import CreateUserCommand, new_user
from aiops.ports.clock import Clock
from aiops.ports.password_hasher import PasswordHasher
from aiops.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

DEFAULT_TENANT = Tenant(slug="default", name="Default", color="#3b82f6")
DEFAULT_PROJECT_SLUG = "aiops"


@attrs.frozen(kw_only=True)
class SeedCommand:
    admin_email: str | None
    admin_name: str = "Administrator"
    actor: Actor = SYSTEM


@attrs.frozen
class SeedResult:
    admin: User
    # Shown once, the first time the admin is created; None on every later run.
    one_time_password: str | None = attrs.field(repr=False)
    created: tuple[str, ...]


class SeedDefaults:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        hasher: PasswordHasher,
        policy: WorkspacePolicy,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher
        self._policy = policy

    def __call__(self, cmd: SeedCommand) -> SeedResult:
        email = admin_email(cmd.admin_email)
        cmd.actor.require_admin()
        with self._uow() as uow:
            admin, password, created = self._ensure_admin(uow, email, cmd)
            tenant, defaults = _ensure_defaults(uow)
            created = [*created, *defaults]
            if created:
                record(
                    uow,
                    self._clock,
                    actor=cmd.actor.name,
                    action="seed.applied",
                    target="seed",
                    tenant=tenant.slug,
                    created=",".join(created),
                )
                uow.commit()
        return SeedResult(admin=admin, one_time_password=password, created=tuple(created))

    def _ensure_admin(
        self, uow: UnitOfWork, email: str, cmd: SeedCommand
    ) -> tuple[User, str | None, list[str]]:
        admin = uow.users.get_by_email(email)
        if admin is not None:
            if admin.is_admin:
                return admin, None, []
            admin = uow.users.update(attrs.evolve(admin, is_admin=True))
            return admin, None, [f"admin:{admin.email}"]
        password = secrets.token_urlsafe(18)
        admin = new_user(
            uow,
            CreateUserCommand(email=email, name=cmd.admin_name, is_admin=True, actor=cmd.actor),
            self._policy,
        )
        admin = uow.users.update(attrs.evolve(admin, password_hash=self._hasher.hash(password)))
        return admin, password, [f"user:{admin.email}"]


def admin_email(value: str | None) -> str:
    if not value:
        raise ValidationError(
            "admin_email", "is required: set AIOPS_ADMIN_EMAIL or pass --admin-email"
        )
    return validation.email(value, field="admin_email")


def _ensure_defaults(uow: UnitOfWork) -> tuple[Tenant, list[str]]:
    """The default tenant and its project, and what had to be created of them."""
    created = []
    tenant = uow.tenants.get_by_slug(DEFAULT_TENANT.slug)
    if tenant is None:
        tenant = uow.tenants.add(DEFAULT_TENANT)
        created.append(f"tenant:{tenant.slug}")
    assert tenant.id is not None
    if uow.projects.get_by_slug(tenant.id, DEFAULT_PROJECT_SLUG) is None:
        project = uow.projects.add(
            Project(tenant_id=tenant.id, slug=DEFAULT_PROJECT_SLUG, name="aiops")
        )
        created.append(f"project:{project.id}")
    return tenant, created
