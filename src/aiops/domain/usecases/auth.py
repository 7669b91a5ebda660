"""Sign-in with throttling, the actor behind a session or a token, personal access tokens."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NoReturn

import attrs

from aiops.domain.errors import AuthenticationFailed, NotFound, TooManyAttempts, ValidationError
from aiops.domain.model import validation
from aiops.domain.model.access import SYSTEM, Actor, may_act_for
from aiops.domain.model.auth import ApiToken, new_token_secret, token_digest
from aiops.domain.model.users import User
from aiops.domain.usecases._audit import record
from aiops.domain.usecases._lookups import actor_for, require_user
from aiops.domain.usecases.users import check_password
from aiops.ports.clock import Clock
from aiops.ports.password_hasher import PasswordHasher
from aiops.ports.unit_of_work import StorageBusy, UnitOfWork, UnitOfWorkFactory

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=1)
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


@attrs.frozen(kw_only=True)
class SignInCommand:
    email: str
    password: str = attrs.field(repr=False)
    address: str


SIGN_IN_TURNED_OFF = (
    "password sign-in is turned off: sign in with your provider, or ask an admin for a sign-in link"
)


class SignIn:
    """Check a password. After MAX_FAILURES failures in a minute for one account or one
    address, refuse every attempt (each one extends the wait) until a minute passes quietly.
    With AIOPS_PASSWORD_LOGIN=false every attempt is refused, whatever it says."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        hasher: PasswordHasher,
        password_login: bool = True,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher
        self._password_login = password_login
        self._decoy = hasher.hash("decoy password for unknown accounts")

    def __call__(self, cmd: SignInCommand) -> SignedIn:
        if not self._password_login:
            raise AuthenticationFailed(SIGN_IN_TURNED_OFF)
        email = _valid_email_or_none(cmd.email)
        keys = failure_keys(cmd.email, cmd.address)
        now = self._clock.now()
        with self._uow() as uow:
            throttled = any(
                uow.login_failures.count_since(key, now - FAILURE_WINDOW) >= MAX_FAILURES
                for key in keys
            )
            user = uow.users.get_by_email(email) if email else None
            matches = not throttled and self._verified(user, cmd.password)
            if not matches or user is None or user.password_hash is None:
                self._refuse(uow, keys, now, throttled=throttled)
            uow.login_failures.clear(keys[0])
            if self._hasher.needs_rehash(user.password_hash):
                user = uow.users.update(
                    attrs.evolve(user, password_hash=self._hasher.hash(cmd.password))
                )
            record(
                uow,
                self._clock,
                actor=user.email,
                action="user.signed_in",
                target=f"user:{user.email}",
                address=cmd.address,
            )
            uow.commit()
            return SignedIn(actor_for(uow, user), user.session_generation)

    def _verified(self, user: User | None, password: str) -> bool:
        """Whether the password is the user's. Verified against a decoy for an unknown user
        or one without a password, so that timing does not tell which accounts exist."""
        if user is None or user.password_hash is None:
            self._hasher.verify(self._decoy, password)
            return False
        return self._hasher.verify(user.password_hash, password)

    @staticmethod
    def _refuse(
        uow: UnitOfWork, keys: tuple[str, str], now: datetime, *, throttled: bool
    ) -> NoReturn:
        """Count the failure under both keys, and say why (a throttled attempt says only that)."""
        for key in keys:
            uow.login_failures.add(key, now)
        uow.commit()
        if throttled:
            raise TooManyAttempts(
                "too many failed sign-ins: wait a minute and try again",
                retry_after=int(FAILURE_WINDOW.total_seconds()),
            )
        raise AuthenticationFailed("wrong email or password")


def failure_keys(email: str, address: str) -> tuple[str, str]:
    """The keys a failed sign-in counts under: the account typed (in any case, with any
    spaces around it) and the address it came from. Digests, so whatever was typed (NUL
    bytes, megabytes) never reaches a column."""
    typed = email.strip().lower().encode("utf-8", "replace")
    return (
        "email:" + hashlib.sha256(typed).hexdigest(),
        "address:" + hashlib.sha256(address.encode("utf-8", "replace")).hexdigest(),
    )


@attrs.frozen
class SignedIn:
    """Who signed in, and the session generation their cookie must carry."""

    actor: Actor
    session_generation: int


@attrs.frozen(kw_only=True)
class ChangePasswordCommand:
    current: str = attrs.field(repr=False)
    new: str = attrs.field(repr=False)
    actor: Actor


class ChangePassword:
    """A signed-in user changes their own password, proving they know the current one. Every
    session of theirs is signed out; the new session generation is returned, so the browser
    that made the change can stay signed in."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher

    def __call__(self, cmd: ChangePasswordCommand) -> int:
        new = check_password(cmd.new)
        with self._uow() as uow:
            user = uow.users.get(cmd.actor.user_id) if cmd.actor.user_id else None
            if user is None:
                raise NotFound("your account no longer exists")
            if not (user.password_hash and self._hasher.verify(user.password_hash, cmd.current)):
                raise ValidationError("current_password", "is not your current password")
            uow.users.update(attrs.evolve(user, password_hash=self._hasher.hash(new)))
            assert user.id is not None
            generation = uow.users.revoke_sessions(user.id)
            record(
                uow,
                self._clock,
                actor=user.email,
                action="user.password_changed",
                target=f"user:{user.email}",
                sessions="revoked",
            )
            uow.commit()
        return generation


@attrs.frozen(kw_only=True)
class SignOutCommand:
    """Void every session cookie of a user: their own when they sign out; anyone's for a
    global admin ("sign out everywhere", `aiops user sign-out`)."""

    email: str
    actor: Actor = SYSTEM


class SignOut:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, cmd: SignOutCommand) -> User:
        with self._uow() as uow:
            user = require_user(uow, cmd.email)
            _require_self_or_admin(cmd.actor, user)
            assert user.id is not None
            generation = uow.users.revoke_sessions(user.id)
            own = cmd.actor.user_id == user.id
            record(
                uow,
                self._clock,
                actor=cmd.actor.name,
                action="user.signed_out" if own else "user.signed_out_everywhere",
                target=f"user:{user.email}",
            )
            uow.commit()
        return attrs.evolve(user, session_generation=generation)


@attrs.frozen
class Viewer:
    """Who is looking, and the data version at that moment (pages cache on it)."""

    actor: Actor
    data_version: int


def _valid_email_or_none(value: str) -> str | None:
    try:
        return validation.email(value)
    except ValidationError:
        return None


@attrs.frozen
class SessionCookie:
    """What a signed session cookie says: whose it is, and their session generation then."""

    user_id: int
    session_generation: int


class LoadViewer:
    """The actor behind a session cookie, read in one transaction with the data version; None
    when the user no longer exists or has been signed out since (another generation). Reads
    only: it runs on every request."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, cookie: SessionCookie) -> Viewer | None:
        with self._uow(read_only=True) as uow:
            user = uow.users.get(cookie.user_id)
            if user is None or user.session_generation != cookie.session_generation:
                return None
            return Viewer(actor=actor_for(uow, user), data_version=uow.audit.latest_id())


@attrs.frozen(kw_only=True)
class CreateTokenCommand:
    email: str
    name: str = "token"
    actor: Actor = SYSTEM


@attrs.frozen
class CreatedToken:
    token: ApiToken
    secret: str = attrs.field(repr=False)  # shown once, never stored


class CreateToken:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, cmd: CreateTokenCommand) -> CreatedToken:
        secret = new_token_secret()
        with self._uow() as uow:
            user = require_user(uow, cmd.email)
            _require_self_or_admin(cmd.actor, user)
            assert user.id is not None
            token = uow.api_tokens.add(
                ApiToken(
                    user_id=user.id,
                    name=cmd.name,
                    token_hash=token_digest(secret),
                    hint=secret[:10],
                    created_at=self._clock.now(),
                )
            )
            record(
                uow,
                self._clock,
                actor=cmd.actor.name,
                action="token.created",
                target=f"user:{user.email}",
                token_id=token.id,
                name=token.name,
            )
            uow.commit()
        return CreatedToken(token=token, secret=secret)


class ListTokens:
    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, email: str, actor: Actor = SYSTEM) -> Sequence[ApiToken]:
        with self._uow(read_only=True) as uow:
            user = require_user(uow, email)
            _require_self_or_admin(actor, user)
            assert user.id is not None
            return uow.api_tokens.list_for_user(user.id)


@attrs.frozen(kw_only=True)
class RevokeTokenCommand:
    token_id: int
    actor: Actor = SYSTEM


class RevokeToken:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, cmd: RevokeTokenCommand) -> ApiToken:
        with self._uow() as uow:
            token = uow.api_tokens.get(cmd.token_id)
            if token is None or not may_act_for(cmd.actor, token.user_id):
                raise NotFound(f"token {cmd.token_id} does not exist")
            if not token.active:
                return token
            token = uow.api_tokens.update(attrs.evolve(token, revoked_at=self._clock.now()))
            record(
                uow,
                self._clock,
                actor=cmd.actor.name,
                action="token.revoked",
                target=f"token:{token.id}",
            )
            uow.commit()
        return token


class AuthenticateToken:
    """The actor behind a bearer token; AuthenticationFailed for an unknown or revoked one."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, secret: str) -> Actor:
        with self._uow(read_only=True) as uow:
            token = uow.api_tokens.get_by_hash(token_digest(secret))
            user = uow.users.get(token.user_id) if token and token.active else None
            if token is None or token.id is None or user is None:
                raise AuthenticationFailed("invalid or revoked token")
            actor = actor_for(uow, user)
        now = self._clock.now()
        stale_before = now - TOKEN_TOUCH_INTERVAL
        if token.last_used_at is None or token.last_used_at < stale_before:
            self._touch(token.id, now, stale_before)
        return actor

    def _touch(self, token_id: int, now: datetime, stale_before: datetime) -> None:
        """Record the use, at most once a minute per token, in a transaction of its own (one
        statement): reading a token never holds the write lock. Bookkeeping must not fail the
        request: when the lock stays busy, a later request records the use."""
        with contextlib.suppress(StorageBusy), self._uow() as uow:
            uow.api_tokens.touch(token_id, now, stale_before)
            uow.commit()


def _require_self_or_admin(actor: Actor, user: User) -> None:
    if not may_act_for(actor, user.id):
        raise NotFound(f"user {user.email!r} does not exist")
