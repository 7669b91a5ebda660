"""Users' credentials for the AI tools: an admin saves them (checked, stored, mirrored into the
user's HOME), the settings cards list when and which, and every launch mirrors them again.

What was pasted never leaves the store except into the user's own config folder and the
launched tool's environment: not into the audit trail, a log line, a page or an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from aiops.domain.errors import NotFound, ValidationError
from aiops.domain.model.access import SYSTEM, Actor
from aiops.domain.model.credentials import (
    CREDENTIAL_TOOLS,
    CredentialsRefused,
    kind_of,
    session_env,
    validate_credentials,
)
from aiops.domain.model.sessions import DEFAULT_TOOLS, Tool, ToolSpec
from aiops.domain.model.users import User
from aiops.domain.model.workspaces import WorkspacePolicy
from aiops.domain.usecases._audit import record
from aiops.domain.usecases._lookups import own_account, require_user
from aiops.ports.clock import Clock
from aiops.ports.credentials import CredentialInfo, CredentialStore
from aiops.ports.linux_users import LinuxAccount, LinuxUsers
from aiops.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


@attrs.frozen(kw_only=True)
class SetCredentialsCommand:
    tool: str
    files: Mapping[str, bytes] = attrs.field(repr=False)  # file name -> content, never shown
    user_id: int | None = None
    user_email: str | None = None
    actor: Actor = SYSTEM


@attrs.frozen(kw_only=True)
class CredentialsSaved:
    info: CredentialInfo
    user: User
    account: str | None  # the Linux account whose HOME gets them (None: aiops only keeps them)
    mirrored_to: str | None  # the config folder they were copied into (as the account), if any
    mirror_error: str | None = None  # why they could not be copied (they are saved anyway)


def _target(uow: UnitOfWork, user_id: int | None, email: str | None) -> User:
    if user_id is not None:
        user = uow.users.get(user_id)
        if user is None:
            raise NotFound(f"user {user_id} does not exist")
        return user
    if not email:
        raise ValidationError("user", "choose a user")
    return require_user(uow, email)


class MirrorCredentials:
    """Copy a user's stored credentials for a tool into its config folder in their HOME, and
    say what the launched tool's environment (only) must add. The lead's LaunchSession calls
    it before every launch, so a tool that rewrote or lost its files starts from the saved ones.
    The environment it returns holds a secret: it belongs in the tool's process only (never
    in argv, a log line or the session's record). Raises CredentialsRefused when the account
    cannot write the config folder (a symlink planted in HOME, a folder not theirs).
    """

    def __init__(
        self, *, store: CredentialStore, tools: Mapping[Tool, ToolSpec] = DEFAULT_TOOLS
    ) -> None:
        self._store = store
        self._tools = tools

    def __call__(self, user_id: int, tool: Tool, account: LinuxAccount) -> dict[str, str]:
        if tool not in CREDENTIAL_TOOLS:
            return {}
        self.copy(user_id, tool, account)
        return session_env(tool, self._store.secret(user_id, tool, kind_of(tool).main))

    def copy(self, user_id: int, tool: Tool, account: LinuxAccount) -> str | None:
        """The config folder the files went into; None when nothing is stored or mirrored."""
        config_dir = self._tools[tool].config_dir
        mirrored = kind_of(tool).mirrored
        if config_dir is None or not mirrored:
            return None
        if not self._store.mirror(user_id, tool, config_dir, account, mirrored):
            return None
        return f"{account.home.rstrip('/')}/{config_dir}"


class SetCredentials:
    """Admin only: check the paste, store it for the user (in aiops's own store) and mirror it
    into their HOME, as their Linux account (as WorkspacePolicy.account_for decides), at once
    when the account exists. An account aiops may not act as (root, a system account, a denied
    one) refuses the save."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        store: CredentialStore,
        linux_users: LinuxUsers,
        policy: WorkspacePolicy,
        tools: Mapping[Tool, ToolSpec] = DEFAULT_TOOLS,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._store = store
        self._users = linux_users
        self._policy = policy
        self._mirror = MirrorCredentials(store=store, tools=tools)

    def __call__(self, cmd: SetCredentialsCommand) -> CredentialsSaved:
        cmd.actor.require_admin()
        tool = kind_of(cmd.tool).tool
        files = validate_credentials(tool, cmd.files)
        with self._uow(read_only=True) as uow:
            user = _target(uow, cmd.user_id, cmd.user_email)
            name = own_account(uow, self._policy, user)
        assert user.id is not None
        account = self._users.lookup(name) if name else None  # AccountRefused: nothing saved
        info = self._store.save(user.id, tool, files, self._clock.now())
        mirrored_to, error = None, None
        if account is not None:
            try:
                mirrored_to = self._mirror.copy(user.id, tool, account)
            except CredentialsRefused as refused:
                error = refused.message
        self._audit(cmd.actor, user, info, mirrored_to, error)
        return CredentialsSaved(
            info=info,
            user=user,
            account=account.name if account else None,
            mirrored_to=mirrored_to,
            mirror_error=error,
        )

    def _audit(
        self,
        actor: Actor,
        user: User,
        info: CredentialInfo,
        mirrored_to: str | None,
        error: str | None,
    ) -> None:
        with self._uow() as uow:
            record(
                uow,
                self._clock,
                actor=actor.name,
                action="credentials.saved",
                target=f"user:{user.id}",
                user=user.email,
                tool=info.tool.value,
                files=",".join(info.files),
                fingerprint=info.fingerprint,
                mirrored_to=mirrored_to,
                mirror_error=error,
            )
            uow.commit()


@attrs.frozen(kw_only=True)
class SavedCredentials:
    user: User
    info: CredentialInfo


@attrs.frozen(kw_only=True)
class CredentialsOverview:
    """For the settings cards: every user (to choose from), and what is saved, by tool."""

    users: Sequence[User]
    saved: Mapping[Tool, Sequence[SavedCredentials]]


class ListCredentials:
    def __init__(self, *, uow: UnitOfWorkFactory, store: CredentialStore) -> None:
        self._uow = uow
        self._store = store

    def __call__(self, actor: Actor = SYSTEM) -> CredentialsOverview:
        actor.require_admin()
        with self._uow(read_only=True) as uow:
            users = sorted(uow.users.list(), key=lambda u: u.email)
        saved: dict[Tool, list[SavedCredentials]] = {tool: [] for tool in CREDENTIAL_TOOLS}
        for user in users:
            assert user.id is not None
            for tool in CREDENTIAL_TOOLS:
                info = self._store.info(user.id, tool)
                if info is not None:
                    saved[tool].append(SavedCredentials(user=user, info=info))
        return CredentialsOverview(users=users, saved=saved)
