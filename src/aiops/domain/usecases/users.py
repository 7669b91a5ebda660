"""Create users, set their passwords, list them."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from aiops.domain.errors import Conflict, PermissionDenied, ValidationError
from aiops.domain.model import validation
from aiops.domain.model.access import SYSTEM, Actor, require_acting_for
from aiops.domain.model.users import GrantSource, User
from aiops.domain.model.workspaces import WorkspacePolicy
from aiops.domain.usecases._audit import record
from aiops.domain.usecases._lookups import own_account, require_user
from aiops.ports.clock import Clock
from aiops.ports.password_hasher import PasswordHasher
from aiops.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

PASSWORD_MIN = 12
PASSWORD_MAX = 1024  # argon2 hashes anything, but an unbounded input is a denial-of-service lever


@attrs.frozen(kw_only=True)
class CreateUserCommand:
    email: str
    name: str
    username: str | None = None
    is_admin: bool = False
    linux_username: str | None = None
    actor: Actor = SYSTEM


@attrs.frozen(kw_only=True)
class SetPasswordCommand:
    email: str
    password: str = attrs.field(repr=False)
    actor: Actor = SYSTEM


def check_password(password: str) -> str:
    if len(password) < PASSWORD_MIN:
        raise ValidationError("password", f"must be at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise ValidationError("password", f"must be at most {PASSWORD_MAX} characters")
    return password


def new_user(uow: UnitOfWork, cmd: CreateUserCommand, policy: WorkspacePolicy) -> User:
    """Validate and add a user (no commit): shared by CreateUser and SeedDefaults."""
    email = validation.email(cmd.email)
    user = User(
        email=email,
        name=cmd.name,
        username=cmd.username or validation.username_from_email(email),
        is_admin=cmd.is_admin,
        admin_source=GrantSource.MANUAL if cmd.is_admin else None,
        linux_username=cmd.linux_username,
    )
    if user.linux_username is not None and not cmd.actor.is_admin:
        raise PermissionDenied("only a global admin may set a user's Linux account")
    if uow.users.get_by_email(user.email) is not None:
        raise Conflict(f"a user with email {user.email!r} already exists")
    if uow.users.get_by_username(user.username) is not None:
        raise Conflict(f"username {user.username!r} is taken: choose another with --username")
    own_account(uow, policy, user)
    return uow.users.add(user)


class CreateUser:
    """Admins only. Refused when the user's Linux account (the mapping included) would be
    another user's too."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, policy: WorkspacePolicy) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = policy

    def __call__(self, cmd: CreateUserCommand) -> User:
        cmd.actor.require_admin()
        with self._uow() as uow:
            user = new_user(uow, cmd, self._policy)
            record(
                uow,
                self._clock,
                actor=cmd.actor.name,
                action="user.created",
                target=f"user:{user.email}",
                username=user.username,
                is_admin=user.is_admin,
                linux_username=user.linux_username,
                linux_account=self._policy.account_for(user),
            )
            uow.commit()
        return user


class SetPassword:
    """Set a user's password (an admin, the CLI, or the user); every session of theirs is
    signed out."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher

    def __call__(self, cmd: SetPasswordCommand) -> User:
        password = check_password(cmd.password)
        with self._uow() as uow:
            user = require_user(uow, cmd.email)
            require_acting_for(cmd.actor, user, "change your own password")
            user = uow.users.update(attrs.evolve(user, password_hash=self._hasher.hash(password)))
            assert user.id is not None
            user = attrs.evolve(user, session_generation=uow.users.revoke_sessions(user.id))
            record(
                uow,
                self._clock,
                actor=cmd.actor.name,
                action="user.password_set",
                target=f"user:{user.email}",
                sessions="revoked",
            )
            uow.commit()
        return user


class ListUsers:
    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, actor: Actor = SYSTEM) -> Sequence[User]:
        actor.require_admin()
        with self._uow(read_only=True) as uow:
            return uow.users.list()


@attrs.frozen(kw_only=True)
class SetAdminCommand:
    email: str
    is_admin: bool
    actor: Actor = SYSTEM


class SetAdmin:
    """Make a user a global admin, or take it away. Only admins may; never their own. A right
    given by hand stays when the provider's groups change (an admin from a group made admin by
    hand becomes one by hand)."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, cmd: SetAdminCommand) -> User:
        cmd.actor.require_admin()
        with self._uow() as uow:
            user = require_user(uow, cmd.email)
            if user.id == cmd.actor.user_id and not cmd.is_admin:
                raise PermissionDenied("you cannot remove your own admin rights")
            source = GrantSource.MANUAL if cmd.is_admin else None
            if user.is_admin == cmd.is_admin and (
                not cmd.is_admin or user.admin_source is not GrantSource.OIDC
            ):
                return user
            user = uow.users.update(attrs.evolve(user, is_admin=cmd.is_admin, admin_source=source))
            record(
                uow,
                self._clock,
                actor=cmd.actor.name,
                action="user.admin_granted" if cmd.is_admin else "user.admin_revoked",
                target=f"user:{user.email}",
            )
            uow.commit()
        return user
