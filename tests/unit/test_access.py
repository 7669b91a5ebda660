"""Roles in use cases: owners manage their tenant, members use it, viewers read it, and
outsiders cannot tell it exists."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops.container import Container
from aiops.domain.errors import NotFound, PermissionDenied
from aiops.domain.model.access import Actor, may_act_for, require_acting_for
from aiops.domain.model.tenants import Role
from aiops.domain.model.users import User
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.projects import (
    CreateProjectCommand,
    ListProjectsQuery,
    UpdateProjectCommand,
)
from aiops.domain.usecases.tenants import CreateTenantCommand, UpdateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand, SetAdminCommand, SetPasswordCommand
from tests.fakes import FakeUnitOfWork


@pytest.fixture
def acme(app: Container) -> int:
    tenant = app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    app.create_tenant()(CreateTenantCommand(slug="globex", name="Globex"))
    app.create_project()(CreateProjectCommand(tenant="acme", slug="web", name="Web"))
    app.create_project()(CreateProjectCommand(tenant="globex", slug="api", name="API"))
    app.create_user()(CreateUserCommand(email="ivo@example.com", name="Ivo"))
    assert tenant.id is not None
    return tenant.id


def person(role: Role | None, tenant_id: int, user_id: int = 99) -> Actor:
    return Actor(name="ivo@example.com", user_id=user_id, roles={tenant_id: role} if role else {})


@pytest.mark.parametrize(
    ("role", "allowed"), [(Role.OWNER, True), (Role.MEMBER, False), (Role.VIEWER, False)]
)
def test_only_owners_manage_their_tenant(
    app: Container, acme: int, role: Role, allowed: bool
) -> None:
    update = app.update_tenant()
    command = UpdateTenantCommand(slug="acme", name="Renamed", actor=person(role, acme))

    if allowed:
        assert update(command).name == "Renamed"
    else:
        with pytest.raises(PermissionDenied, match="needs owner"):
            update(command)


@pytest.mark.parametrize(
    "attempt",
    [
        lambda app, actor: app.update_tenant()(
            UpdateTenantCommand(slug="globex", name="X", actor=actor)
        ),
        lambda app, actor: app.create_project()(
            CreateProjectCommand(tenant="globex", slug="x", name="X", actor=actor)
        ),
        lambda app, actor: app.update_project()(
            UpdateProjectCommand(project_id=4, name="X", actor=actor)
        ),
        lambda app, actor: app.list_projects()(ListProjectsQuery(tenant="globex", actor=actor)),
        lambda app, actor: app.add_member()(
            AddMemberCommand(tenant="globex", email="ivo@example.com", role="owner", actor=actor)
        ),
        lambda app, actor: app.list_members()("globex", actor),
    ],
)
def test_an_owner_of_another_tenant_gets_not_found(
    app: Container, acme: int, attempt: object
) -> None:
    with pytest.raises(NotFound):
        attempt(app, person(Role.OWNER, acme))  # type: ignore[operator]


def test_the_same_message_for_a_hidden_and_a_missing_tenant(app: Container, acme: int) -> None:
    outsider = person(None, acme)
    messages = []
    for slug in ("globex", "no-such-tenant"):
        with pytest.raises(NotFound) as raised:
            app.update_tenant()(UpdateTenantCommand(slug=slug, name="X", actor=outsider))
        messages.append(str(raised.value).replace(slug, "<slug>"))
    assert messages[0] == messages[1]


def test_listings_show_only_tenants_the_actor_belongs_to(app: Container, acme: int) -> None:
    viewer = person(Role.VIEWER, acme)

    assert [t.slug for t in app.list_tenants()(viewer)] == ["acme"]
    assert [p.slug for p in app.list_projects()(ListProjectsQuery(actor=viewer))] == ["web"]


@pytest.mark.parametrize(
    "attempt",
    [
        lambda app, actor: app.create_tenant()(
            CreateTenantCommand(slug="new", name="New", actor=actor)
        ),
        lambda app, actor: app.create_user()(
            CreateUserCommand(email="x@example.com", name="X", is_admin=True, actor=actor)
        ),
        lambda app, actor: app.set_admin()(
            SetAdminCommand(email="ivo@example.com", is_admin=True, actor=actor)
        ),
        lambda app, actor: app.list_users()(actor),
    ],
)
def test_an_owner_cannot_do_what_only_admins_may(
    app: Container, acme: int, attempt: object, uow: FakeUnitOfWork
) -> None:
    before = uow.committed.copy()

    with pytest.raises(PermissionDenied, match="only a global admin"):
        attempt(app, person(Role.OWNER, acme))  # type: ignore[operator]

    assert uow.committed == before


def test_an_owner_grants_roles_in_their_own_tenant(app: Container, acme: int) -> None:
    owner = person(Role.OWNER, acme)

    app.add_member()(
        AddMemberCommand(tenant="acme", email="ivo@example.com", role="member", actor=owner)
    )

    assert [m.role for m in app.list_members()("acme", owner)] == [Role.MEMBER]


def test_users_change_only_their_own_password(app: Container, acme: int) -> None:
    ivo = next(u for u in app.list_users()() if u.email == "ivo@example.com")
    stranger = person(None, acme, user_id=12345)

    with pytest.raises(PermissionDenied):
        app.set_password()(SetPasswordCommand(email=ivo.email, password="p" * 16, actor=stranger))
    himself = person(None, acme, user_id=ivo.id)  # type: ignore[arg-type]
    assert app.set_password()(
        SetPasswordCommand(email=ivo.email, password="p" * 16, actor=himself)
    ).password_hash


def test_admins_grant_admin_but_never_revoke_their_own(app: Container, acme: int) -> None:
    granted = app.set_admin()(SetAdminCommand(email="ivo@example.com", is_admin=True))
    assert granted.is_admin
    me = Actor(name="ivo@example.com", user_id=granted.id, is_admin=True)

    with pytest.raises(PermissionDenied, match="your own admin"):
        app.set_admin()(SetAdminCommand(email="ivo@example.com", is_admin=False, actor=me))


ids = st.none() | st.integers(min_value=1, max_value=50)


@given(admin=st.booleans(), actor_id=ids, user_id=ids)
def test_only_admins_act_for_another_user_and_everyone_for_themselves(
    admin: bool, actor_id: int | None, user_id: int | None
) -> None:
    actor = Actor(name="a@example.com", user_id=actor_id, is_admin=admin)
    user = User(id=user_id, email="u@example.com", name="U", username="u")

    allowed = admin or (user_id is not None and user_id == actor_id)
    assert may_act_for(actor, user_id) is allowed
    if allowed:
        require_acting_for(actor, user, "work in your own workspace")
    else:
        with pytest.raises(PermissionDenied) as refused:
            require_acting_for(actor, user, "work in your own workspace")
        assert refused.value.message == "you may only work in your own workspace"


@given(st.booleans(), st.dictionaries(st.integers(1, 5), st.sampled_from(Role), max_size=4))
def test_admins_and_owners_of_some_tenant_manage_and_nobody_else(
    admin: bool, roles: dict[int, Role]
) -> None:
    actor = Actor(name="a@example.com", user_id=1, is_admin=admin, roles=roles)

    assert actor.manages_some_tenant is (admin or Role.OWNER in roles.values())
