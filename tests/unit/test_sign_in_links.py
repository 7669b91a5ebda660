"""One-time sign-in links (issue 20): made by an admin or the CLI, good once for ten minutes,
stored and audited without their secret."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aiops.container import Container
from aiops.domain.errors import AuthenticationFailed, NotFound, PermissionDenied
from aiops.domain.model.access import Actor
from aiops.domain.model.sign_ins import link_digest
from aiops.domain.usecases.sign_in_links import (
    CreatedSignInLink,
    CreateSignInLinkCommand,
    RedeemSignInLinkCommand,
)
from aiops.domain.usecases.users import CreateUserCommand
from tests.fakes import FakeClock, FakeUnitOfWork

IVO = "ivo@example.com"


@pytest.fixture(autouse=True)
def ivo(app: Container) -> None:
    app.create_user()(CreateUserCommand(email=IVO, name="Ivo"))


def create(app: Container, email: str = IVO) -> CreatedSignInLink:
    return app.create_sign_in_link()(
        CreateSignInLinkCommand(email=email, actor=Actor.system("cli:root"))
    )


def redeem(app: Container, secret: str) -> Actor:
    return app.redeem_sign_in_link()(
        RedeemSignInLinkCommand(secret=secret, address="192.0.2.7")
    ).actor


def test_a_link_signs_its_user_in_once(app: Container, uow: FakeUnitOfWork) -> None:
    created = create(app)

    assert redeem(app, created.secret).name == IVO
    with pytest.raises(AuthenticationFailed, match="unknown, used or expired"):
        redeem(app, created.secret)
    [link] = uow.committed.sign_in_links.values()
    assert link.used_at is not None
    signed = [e for e in uow.committed.audit if e.action == "user.signed_in"]
    assert [(e.actor, e.detail["sign_in_link"]) for e in signed] == [(IVO, link.id)]


def test_a_link_is_valid_ten_minutes(app: Container, clock: FakeClock) -> None:
    fresh, stale = create(app), create(app)
    assert fresh.expires_at == clock.now() + timedelta(minutes=10)

    clock.advance(minutes=9, seconds=59)
    assert redeem(app, fresh.secret).name == IVO
    clock.advance(seconds=1)
    with pytest.raises(AuthenticationFailed):
        redeem(app, stale.secret)


def test_an_unknown_link_is_refused(app: Container) -> None:
    create(app)

    with pytest.raises(AuthenticationFailed):
        redeem(app, "not-a-link-anyone-made")


def test_only_the_digest_is_stored_and_the_secret_never_reaches_the_audit(
    app: Container, uow: FakeUnitOfWork
) -> None:
    created = create(app)

    [link] = uow.committed.sign_in_links.values()
    assert link.digest == link_digest(created.secret) != created.secret
    assert len(created.secret) >= 43  # token_urlsafe(32)
    assert created.secret not in repr(created)
    assert link.digest not in repr(link)
    event = uow.committed.audit[-1]
    assert (event.action, event.actor, event.target) == (
        "user.sign_in_link_created",
        "cli:root",
        f"user:{IVO}",
    )
    assert created.secret not in repr(event)
    assert link.digest not in repr(event)


def test_only_admins_make_links_and_only_for_existing_users(app: Container) -> None:
    with pytest.raises(PermissionDenied):
        app.create_sign_in_link()(
            CreateSignInLinkCommand(email=IVO, actor=Actor(name=IVO, user_id=1))
        )
    with pytest.raises(NotFound):
        create(app, "nobody@example.com")
