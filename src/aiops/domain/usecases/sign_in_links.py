"""One-time sign-in links (issue 20): the way in when password sign-in is off and the provider
cannot help (break-glass). An operator makes one for a user (`aiops user sign-in-link`); it
works once, for ten minutes. Only the digest of its secret is stored, and neither the
secret nor its digest reaches the audit trail."""

from __future__ import annotations

from datetime import datetime

import attrs

from aiops.domain.errors import AuthenticationFailed
from aiops.domain.model.access import SYSTEM, Actor
from aiops.domain.model.sign_ins import LINK_LIFETIME, SignInLink, link_digest, new_link_secret
from aiops.domain.model.users import User
from aiops.domain.usecases._audit import record
from aiops.domain.usecases._lookups import actor_for, require_user
from aiops.domain.usecases.auth import SignedIn
from aiops.ports.clock import Clock
from aiops.ports.unit_of_work import UnitOfWorkFactory

REFUSED = "this sign-in link is unknown, used or expired: ask an admin for a new one"


@attrs.frozen(kw_only=True)
class CreateSignInLinkCommand:
    email: str
    actor: Actor = SYSTEM


@attrs.frozen(kw_only=True)
class CreatedSignInLink:
    user: User
    secret: str = attrs.field(repr=False)  # in the URL, shown once, never stored
    expires_at: datetime


class CreateSignInLink:
    """Global admins (and the CLI) only."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, cmd: CreateSignInLinkCommand) -> CreatedSignInLink:
        cmd.actor.require_admin()
        secret = new_link_secret()
        now = self._clock.now()
        with self._uow() as uow:
            user = require_user(uow, cmd.email)
            assert user.id is not None
            link = uow.sign_in_links.add(
                SignInLink(
                    user_id=user.id,
                    digest=link_digest(secret),
                    created_at=now,
                    expires_at=now + LINK_LIFETIME,
                    created_by=cmd.actor.name,
                )
            )
            record(
                uow,
                self._clock,
                actor=cmd.actor.name,
                action="user.sign_in_link_created",
                target=f"user:{user.email}",
                link_id=link.id,
                expires_at=link.expires_at.isoformat(),
            )
            uow.commit()
        return CreatedSignInLink(user=user, secret=secret, expires_at=link.expires_at)


@attrs.frozen(kw_only=True)
class RedeemSignInLinkCommand:
    secret: str = attrs.field(repr=False)
    address: str


class RedeemSignInLink:
    """Sign in with a link: once. A used, expired or unknown link is AuthenticationFailed,
    and so is the loser of two concurrent uses."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, cmd: RedeemSignInLinkCommand) -> SignedIn:
        now = self._clock.now()
        with self._uow() as uow:
            link = uow.sign_in_links.get_by_digest(link_digest(cmd.secret))
            user = uow.users.get(link.user_id) if link else None
            if link is None or link.id is None or user is None or not link.usable_at(now):
                raise AuthenticationFailed(REFUSED)
            if not uow.sign_in_links.use(link.id, now):
                raise AuthenticationFailed(REFUSED)
            record(
                uow,
                self._clock,
                actor=user.email,
                action="user.signed_in",
                target=f"user:{user.email}",
                address=cmd.address,
                sign_in_link=link.id,
            )
            uow.commit()
            return SignedIn(actor_for(uow, user), user.session_generation)
