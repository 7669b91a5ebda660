from __future__ import annotations

import pytest

from aiops.container import Container
from aiops.domain.errors import Conflict, NotFound, ValidationError
from aiops.domain.usecases.users import PASSWORD_MIN, CreateUserCommand, SetPasswordCommand
from tests.fakes import FakePasswordHasher, FakeUnitOfWork


def test_create_user_normalises_email_and_derives_username(
    app: Container, uow: FakeUnitOfWork
) -> None:
    user = app.create_user()(CreateUserCommand(email=" Ivo.Petrov@Example.COM ", name="Ivo"))

    assert (user.email, user.username, user.is_admin, user.password_hash) == (
        "ivo.petrov@example.com",
        "ivo_petrov",
        False,
        None,
    )
    assert uow.committed.audit[-1].action == "user.created"


def test_duplicate_email_is_refused_whatever_its_case(app: Container, uow: FakeUnitOfWork) -> None:
    app.create_user()(CreateUserCommand(email="ivo@example.com", name="Ivo"))
    before = uow.committed.copy()

    with pytest.raises(Conflict, match="already exists"):
        app.create_user()(CreateUserCommand(email="IVO@example.com", name="Ivo 2", username="ivo2"))

    assert uow.committed == before


def test_taken_username_is_refused_with_a_hint(app: Container) -> None:
    app.create_user()(CreateUserCommand(email="ivo@example.com", name="Ivo"))

    with pytest.raises(Conflict, match="--username"):
        app.create_user()(CreateUserCommand(email="ivo@example.org", name="Other Ivo"))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b"}, "email"),
        ({"email": "a b@example.com"}, "email"),
        ({"username": "Root"}, "username"),
        ({"username": "../etc"}, "username"),
        ({"linux_username": "bad:name"}, "linux_username"),
    ],
)
def test_invalid_user_fields_are_refused(
    app: Container, uow: FakeUnitOfWork, fields: dict[str, str], field: str
) -> None:
    cmd = {"email": "ivo@example.com", "name": "Ivo"} | fields
    with pytest.raises(ValidationError) as raised:
        app.create_user()(CreateUserCommand(**cmd))  # type: ignore[arg-type]

    assert raised.value.field == field
    assert uow.committed.users == {}


def test_set_password_stores_a_verifiable_hash_and_audits_without_it(
    app: Container, uow: FakeUnitOfWork, hasher: FakePasswordHasher
) -> None:
    app.create_user()(CreateUserCommand(email="ivo@example.com", name="Ivo"))

    user = app.set_password()(
        SetPasswordCommand(email="ivo@example.com", password="canary-password-1234")
    )

    assert user.password_hash is not None
    assert hasher.verify(user.password_hash, "canary-password-1234")
    assert "canary" not in repr(user)
    assert "canary" not in repr(uow.committed.audit)
    assert uow.committed.audit[-1].action == "user.password_set"


@pytest.mark.parametrize("password", ["x" * (PASSWORD_MIN - 1), "x" * 1025])
def test_set_password_refuses_too_short_or_too_long(
    app: Container, uow: FakeUnitOfWork, password: str
) -> None:
    app.create_user()(CreateUserCommand(email="ivo@example.com", name="Ivo"))

    with pytest.raises(ValidationError, match="password"):
        app.set_password()(SetPasswordCommand(email="ivo@example.com", password=password))

    assert next(iter(uow.committed.users.values())).password_hash is None


def test_set_password_of_unknown_user_is_not_found(app: Container) -> None:
    with pytest.raises(NotFound):
        app.set_password()(SetPasswordCommand(email="nobody@example.com", password="p" * 20))


def test_the_command_never_shows_the_password() -> None:
    assert "s3cret" not in repr(SetPasswordCommand(email="a@b.io", password="s3cret-password"))
