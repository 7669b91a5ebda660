"""Provider sign-ins (issue 20) through the real container on SQLite and PostgreSQL: the
settings' group roles become memberships and an admin right that follow the groups, and
the admin page's last sign-in per provider."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest
from sqlalchemy import Engine

from aiops.config import Settings
from aiops.container import Container, bootstrap
from aiops.domain.model.oidc import OidcClaims
from aiops.domain.model.tenants import Role
from aiops.domain.model.users import GrantSource
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.oidc import OidcSignInCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand

PROVIDER = {"issuer": "https://id.example.com", "client_id": "aiops", "client_secret": "s"}


@pytest.fixture
def oidc_app(settings: Settings, migrated: Engine) -> Iterator[Container]:
    container = bootstrap(
        attrs.evolve(
            settings,
            oidc_providers={"corp": PROVIDER},
            oidc_auto_create=True,
            oidc_group_roles={"ops": "admin", "acme-devs": "acme:member", "beta": "beta:owner"},
        )
    )
    container.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    container.create_tenant()(CreateTenantCommand(slug="beta", name="Beta"))
    yield container
    container.shutdown_resources()


def sign_in(app: Container, *groups: str) -> None:
    claims = OidcClaims(
        provider="corp",
        subject="248289761001",
        email="jane@example.com",
        email_verified=True,
        name="Jane Doe",
        groups=groups,
    )
    app.sign_in_with_oidc()(OidcSignInCommand(claims=claims, address="203.0.113.9"))


def roles(app: Container, tenant: str) -> dict[str, tuple[Role, GrantSource]]:
    return {m.user.email: (m.role, m.source) for m in app.list_members()(tenant)}


def test_groups_follow_the_provider_and_hand_made_roles_stay(oidc_app: Container) -> None:
    assert oidc_app.last_oidc_sign_ins()() == {"corp": None}
    oidc_app.create_user()(CreateUserCommand(email="ana@example.com", name="Ana"))
    oidc_app.add_member()(AddMemberCommand(tenant="acme", email="ana@example.com", role="owner"))

    sign_in(oidc_app, "ops", "acme-devs", "beta")
    [jane] = [u for u in oidc_app.list_users()() if u.email == "jane@example.com"]
    assert (jane.name, jane.username, jane.is_admin) == ("Jane Doe", "jane", True)
    assert jane.admin_source is GrantSource.OIDC
    assert roles(oidc_app, "acme") == {
        "ana@example.com": (Role.OWNER, GrantSource.MANUAL),
        "jane@example.com": (Role.MEMBER, GrantSource.OIDC),
    }

    sign_in(oidc_app, "beta")
    assert "jane@example.com" not in roles(oidc_app, "acme")
    assert roles(oidc_app, "beta") == {"jane@example.com": (Role.OWNER, GrantSource.OIDC)}
    assert not next(u for u in oidc_app.list_users()() if u.email == jane.email).is_admin
    assert oidc_app.last_oidc_sign_ins()()["corp"] is not None
