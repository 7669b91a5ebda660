from __future__ import annotations

import pytest

from aiops.container import Container
from aiops.domain.errors import NotFound, ValidationError
from aiops.domain.model.tenants import Role
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand
from tests.fakes import FakeUnitOfWork


@pytest.fixture(autouse=True)
def people(app: Container) -> None:
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    app.create_user()(CreateUserCommand(email="ivo@example.com", name="Ivo"))


def add(app: Container, role: str, **fields: str) -> None:
    cmd = {"tenant": "acme", "email": "ivo@example.com", "role": role} | fields
    app.add_member()(AddMemberCommand(**cmd))  # type: ignore[arg-type]


def test_add_member_gives_the_role(app: Container, uow: FakeUnitOfWork) -> None:
    add(app, "viewer")

    [member] = app.list_members()("acme")
    assert (member.user.email, member.role) == ("ivo@example.com", Role.VIEWER)
    assert uow.committed.audit[-1].action == "membership.added"
    assert uow.committed.audit[-1].detail["role"] == "viewer"


def test_adding_again_with_another_role_changes_it(app: Container, uow: FakeUnitOfWork) -> None:
    add(app, "viewer")
    add(app, "owner")

    [member] = app.list_members()("acme")
    assert member.role is Role.OWNER
    assert uow.committed.audit[-1].action == "membership.role_changed"
    assert uow.committed.audit[-1].detail["previous_role"] == "viewer"


def test_adding_again_with_the_same_role_changes_nothing(
    app: Container, uow: FakeUnitOfWork
) -> None:
    add(app, "member")
    before = uow.committed.copy()

    add(app, "member")

    assert uow.committed == before


@pytest.mark.parametrize(
    ("role", "fields", "error"),
    [
        ("admin", {}, ValidationError),
        ("owner", {"tenant": "ghost"}, NotFound),
        ("owner", {"email": "ghost@example.com"}, NotFound),
    ],
)
def test_bad_member_input_changes_nothing(
    app: Container, uow: FakeUnitOfWork, role: str, fields: dict[str, str], error: type
) -> None:
    before = uow.committed.copy()

    with pytest.raises(error):
        add(app, role, **fields)

    assert uow.committed == before
