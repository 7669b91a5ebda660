from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops.container import Container
from aiops.domain.errors import AuthenticationFailed, NotFound, TooManyAttempts
from aiops.domain.model.access import Actor
from aiops.domain.usecases.auth import (
    MAX_FAILURES,
    ChangePasswordCommand,
    CreateTokenCommand,
    RevokeTokenCommand,
    SessionCookie,
    SignedIn,
    SignInCommand,
    SignOutCommand,
    failure_keys,
)
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand, SetPasswordCommand
from tests.fakes import FakeClock, FakeUnitOfWork

PASSWORD = "correct horse battery staple"
IVO = "ivo@example.com"


@pytest.fixture(autouse=True)
def ivo(app: Container) -> None:
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    app.create_user()(CreateUserCommand(email="ivo@example.com", name="Ivo"))
    app.set_password()(SetPasswordCommand(email="ivo@example.com", password=PASSWORD))
    app.add_member()(AddMemberCommand(tenant="acme", email="ivo@example.com", role="member"))


def sign_in(
    app: Container,
    password: str = PASSWORD,
    address: str = "10.0.0.1",
    email: str = "Ivo@Example.com",
) -> Actor:
    return app.sign_in()(SignInCommand(email=email, password=password, address=address)).actor


def test_sign_in_gives_the_actor_with_roles(app: Container, uow: FakeUnitOfWork) -> None:
    actor = sign_in(app)

    assert actor.name == "ivo@example.com"
    assert list(actor.roles.values()) == ["member"]
    assert uow.committed.audit[-1].action == "user.signed_in"


@pytest.mark.parametrize(
    ("email", "password"),
    [("ivo@example.com", "wrong password!"), ("nobody@example.com", PASSWORD)],
)
def test_wrong_password_and_unknown_user_get_the_same_answer(
    app: Container, email: str, password: str
) -> None:
    with pytest.raises(AuthenticationFailed, match=r"^wrong email or password$"):
        sign_in(app, email=email, password=password)


def test_five_failures_for_an_account_lock_it_for_a_while(app: Container, clock: FakeClock) -> None:
    for i in range(MAX_FAILURES):
        with pytest.raises(AuthenticationFailed):
            sign_in(app, password="nope", address=f"10.0.0.{i}")

    with pytest.raises(TooManyAttempts) as raised:
        sign_in(app, address="10.9.9.9")  # even the right password, from elsewhere
    assert raised.value.retry_after > 0

    clock.advance(seconds=61)
    assert sign_in(app).name == "ivo@example.com"


def test_five_failures_from_an_address_lock_that_address(app: Container) -> None:
    for i in range(MAX_FAILURES):
        with pytest.raises(AuthenticationFailed):
            sign_in(app, email=f"guess{i}@example.com", password="nope", address="10.6.6.6")

    with pytest.raises(TooManyAttempts):
        sign_in(app, address="10.6.6.6")
    assert sign_in(app, address="10.0.0.2").name == "ivo@example.com"


@given(email=st.text(), address=st.text())
def test_failure_keys_are_fixed_size_digests_whatever_was_typed(email: str, address: str) -> None:
    email_key, address_key = failure_keys(email, address)

    assert email_key.removeprefix("email:") != email_key
    assert address_key.removeprefix("address:") != address_key
    digests = (email_key.removeprefix("email:"), address_key.removeprefix("address:"))
    assert all(len(d) == 64 and set(d) <= set("0123456789abcdef") for d in digests)


@given(
    email=st.from_regex(r"[a-z0-9.]{1,20}@[a-z]{1,10}\.[a-z]{2,4}", fullmatch=True),
    padding=st.sampled_from(["", " ", "\t "]),
)
def test_one_account_is_one_failure_key_in_any_case_and_spacing(email: str, padding: str) -> None:
    typed = padding + email.upper() + padding

    assert failure_keys(typed, "10.0.0.1") == failure_keys(email, "10.0.0.1")


def test_a_token_is_shown_once_stored_hashed_and_revocable(
    app: Container, uow: FakeUnitOfWork
) -> None:
    created = app.create_token()(CreateTokenCommand(email="ivo@example.com", name="ci"))

    assert created.secret.startswith("aiops_")
    assert created.secret not in repr(uow.committed.api_tokens)
    assert app.authenticate_token()(created.secret).name == "ivo@example.com"
    app.revoke_token()(RevokeTokenCommand(token_id=created.token.id))  # type: ignore[arg-type]
    with pytest.raises(AuthenticationFailed):
        app.authenticate_token()(created.secret)
    assert [t.active for t in app.list_tokens()("ivo@example.com")] == [False]


def test_users_cannot_see_or_revoke_each_others_tokens(app: Container) -> None:
    created = app.create_token()(CreateTokenCommand(email="ivo@example.com"))
    stranger = Actor(name="eve@example.com", user_id=4242)

    with pytest.raises(NotFound):
        app.revoke_token()(RevokeTokenCommand(token_id=created.token.id, actor=stranger))  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        app.list_tokens()("ivo@example.com", stranger)


def test_an_unknown_token_is_refused(app: Container) -> None:
    with pytest.raises(AuthenticationFailed):
        app.authenticate_token()("aiops_not-a-real-token")


def cookie_of(signed_in: SignedIn) -> SessionCookie:
    assert signed_in.actor.user_id is not None
    return SessionCookie(signed_in.actor.user_id, signed_in.session_generation)


def test_a_cookie_of_the_current_generation_loads_its_viewer(app: Container) -> None:
    cookie = cookie_of(app.sign_in()(SignInCommand(email=IVO, password=PASSWORD, address="a")))

    viewer = app.load_viewer()(cookie)

    assert viewer is not None
    assert viewer.actor.name == IVO


def test_signing_out_voids_every_cookie_of_the_user_and_is_audited(
    app: Container, uow: FakeUnitOfWork
) -> None:
    signed_in = app.sign_in()(SignInCommand(email=IVO, password=PASSWORD, address="a"))
    cookie = cookie_of(signed_in)

    app.sign_out()(SignOutCommand(email=IVO, actor=signed_in.actor))

    assert app.load_viewer()(cookie) is None
    assert uow.committed.audit[-1].action == "user.signed_out"
    again = app.sign_in()(SignInCommand(email=IVO, password=PASSWORD, address="a"))
    assert app.load_viewer()(cookie_of(again)) is not None


def test_an_admin_signs_a_user_out_everywhere_others_are_untouched(
    app: Container, uow: FakeUnitOfWork
) -> None:
    app.create_user()(CreateUserCommand(email="eva@example.com", name="Eva"))
    app.set_password()(SetPasswordCommand(email="eva@example.com", password=PASSWORD))
    ivo = cookie_of(app.sign_in()(SignInCommand(email=IVO, password=PASSWORD, address="a")))
    eva = cookie_of(
        app.sign_in()(SignInCommand(email="eva@example.com", password=PASSWORD, address="a"))
    )

    app.sign_out()(SignOutCommand(email=IVO))

    assert app.load_viewer()(ivo) is None
    assert app.load_viewer()(eva) is not None
    assert (uow.committed.audit[-1].action, uow.committed.audit[-1].target) == (
        "user.signed_out_everywhere",
        f"user:{IVO}",
    )


def test_nobody_but_an_admin_signs_out_someone_else(app: Container) -> None:
    cookie = cookie_of(app.sign_in()(SignInCommand(email=IVO, password=PASSWORD, address="a")))
    stranger = Actor(name="eve@example.com", user_id=4242)

    with pytest.raises(NotFound):
        app.sign_out()(SignOutCommand(email=IVO, actor=stranger))

    assert app.load_viewer()(cookie) is not None


def test_a_password_change_voids_the_old_cookies_and_gives_the_new_generation(
    app: Container,
) -> None:
    signed_in = app.sign_in()(SignInCommand(email=IVO, password=PASSWORD, address="a"))
    old = cookie_of(signed_in)

    generation = app.change_password()(
        ChangePasswordCommand(current=PASSWORD, new="another long password", actor=signed_in.actor)
    )

    assert app.load_viewer()(old) is None
    assert app.load_viewer()(attrs.evolve(old, session_generation=generation)) is not None


def test_an_admin_setting_a_password_voids_the_users_cookies(app: Container) -> None:
    cookie = cookie_of(app.sign_in()(SignInCommand(email=IVO, password=PASSWORD, address="a")))

    user = app.set_password()(SetPasswordCommand(email=IVO, password="a brand new password"))

    assert app.load_viewer()(cookie) is None
    assert user.session_generation == cookie.session_generation + 1
