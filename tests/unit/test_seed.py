from __future__ import annotations

import pytest

from aiops.container import Container
from aiops.domain.errors import ValidationError
from aiops.domain.usecases.seed import SeedCommand
from aiops.domain.usecases.users import CreateUserCommand
from tests.fakes import FakePasswordHasher, FakeUnitOfWork


def test_first_seed_creates_admin_tenant_and_project_with_a_one_time_password(
    app: Container, uow: FakeUnitOfWork, hasher: FakePasswordHasher
) -> None:
    result = app.seed_defaults()(SeedCommand(admin_email="Admin@Example.com"))

    assert result.admin.is_admin
    assert result.admin.email == "admin@example.com"
    assert result.one_time_password is not None
    assert len(result.one_time_password) >= 20
    assert result.admin.password_hash is not None
    assert hasher.verify(result.admin.password_hash, result.one_time_password)
    assert [t.slug for t in uow.committed.tenants.values()] == ["default"]
    assert [p.slug for p in uow.committed.projects.values()] == ["aiops"]
    assert [e.action for e in uow.committed.audit] == ["seed.applied"]
    assert result.one_time_password not in repr(result)


def test_second_seed_changes_nothing(app: Container, uow: FakeUnitOfWork) -> None:
    app.seed_defaults()(SeedCommand(admin_email="admin@example.com"))
    before, commits = uow.committed.copy(), uow.commits

    again = app.seed_defaults()(SeedCommand(admin_email="admin@example.com"))

    assert again.one_time_password is None
    assert again.created == ()
    assert uow.committed == before
    assert uow.commits == commits


def test_seed_promotes_an_existing_user_without_touching_the_password(
    app: Container, uow: FakeUnitOfWork
) -> None:
    app.create_user()(CreateUserCommand(email="ops@example.com", name="Ops"))

    result = app.seed_defaults()(SeedCommand(admin_email="ops@example.com"))

    assert result.admin.is_admin
    assert result.one_time_password is None
    assert result.admin.password_hash is None
    assert "admin:ops@example.com" in result.created


@pytest.mark.parametrize("email", [None, "", "not-an-email"])
def test_seed_without_a_valid_admin_email_is_refused_and_changes_nothing(
    app: Container, uow: FakeUnitOfWork, email: str | None
) -> None:
    with pytest.raises(ValidationError, match="admin_email"):
        app.seed_defaults()(SeedCommand(admin_email=email))

    assert uow.committed.tenants == {}
    assert uow.committed.users == {}
