"""What every workspace use case shares: finding whose workspace, where, and whether they may."""

from __future__ import annotations

from pathlib import Path

import attrs

from aiops.domain.model.access import SYSTEM, Actor, Permission, require_acting_for
from aiops.domain.model.projects import Project
from aiops.domain.model.users import User
from aiops.domain.model.workspaces import (
    Branches,
    RemoteAccess,
    WorkspacePolicy,
    WorkspaceSnapshot,
    WorkspaceState,
    WorkspaceStatus,
    WorktreeState,
)
from aiops.domain.usecases._lookups import actor_for, own_account, require_project, require_user
from aiops.ports.clock import Clock
from aiops.ports.git_workspaces import GitWorkspaces, WorkTree
from aiops.ports.linux_users import LinuxAccount, LinuxUsers
from aiops.ports.secret_box import SecretBox
from aiops.ports.unit_of_work import UnitOfWorkFactory
from aiops.ports.workspace_snapshots import WorkspaceSnapshots


@attrs.frozen(kw_only=True)
class WorkspaceRef:
    """Which workspace: a project, and whose (None: the actor's own)."""

    project_id: int
    user_email: str | None = None
    actor: Actor = SYSTEM


@attrs.frozen(kw_only=True)
class Located:
    project: Project
    tenant_slug: str
    user: User
    path: Path
    # Whom git runs as. None: the user has no account, or it does not exist; then aiops's own
    # account, in a folder that must be aiops's own too (the adapter checks it each time).
    account: LinuxAccount | None
    access: RemoteAccess

    @property
    def tree(self) -> WorkTree:
        return WorkTree(self.path, self.account)

    @property
    def key(self) -> tuple[int, int]:
        assert self.user.id is not None
        assert self.project.id is not None
        return self.user.id, self.project.id


class LocateWorkspace:
    """Whose workspace, where, and whether they may: shared by every use case that works in a
    user's workspace of a project."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        linux_users: LinuxUsers,
        policy: WorkspacePolicy,
        secret_box: SecretBox,
    ) -> None:
        self._uow = uow
        self._linux_users = linux_users
        self._policy = policy
        self._secret_box = secret_box

    def __call__(self, ref: WorkspaceRef, permission: Permission) -> Located:
        """The workspace of `ref`, once the target user may use the project with `permission`
        and the actor may act for that user (themselves; admins and the CLI for anyone)."""
        missing = f"project {ref.project_id} does not exist"
        with self._uow(read_only=True) as uow:
            project, tenant = require_project(uow, ref.project_id, ref.actor)
            user = require_user(uow, ref.user_email or ref.actor.name)
            require_acting_for(ref.actor, user, "work in your own workspace")
            actor_for(uow, user).require(permission, tenant, missing)
            identity = uow.identities.get(project.identity_id) if project.identity_id else None
            name = own_account(uow, self._policy, user)
        sealed = project.https_token_sealed
        return Located(
            project=project,
            tenant_slug=tenant.slug,
            user=user,
            path=Path(self._policy.path_for(user, project.slug)),
            # Before any git call: an account aiops may not act as refuses (AccountRefused) here.
            account=self._linux_users.lookup(name) if name else None,
            # The project's SSH identity, when it has a private key aiops holds, and its token.
            access=RemoteAccess(
                url=project.repo_url,
                ssh_key_path=identity.private_key_path if identity else None,
                https_token=self._secret_box.open(sealed) if sealed else None,
            ),
        )


class WorkspaceUseCase:
    """A use case that keeps the dashboard's snapshot of the workspaces it touches."""

    def __init__(
        self,
        *,
        locate: LocateWorkspace,
        git: GitWorkspaces,
        snapshots: WorkspaceSnapshots,
        clock: Clock,
    ) -> None:
        self._locate = locate
        self._git = git
        self._snapshots = snapshots
        self._clock = clock

    def _snapshot(
        self,
        where: Located,
        *,
        branches: bool = True,
        worktrees: tuple[WorktreeState, ...] | None = None,
    ) -> WorkspaceStatus:
        """Read the live status (and the branches, unless told to keep the last known ones),
        keep them for the dashboard, return the status."""
        status = self._git.status(where.tree)
        if branches:
            listed: Branches | None = self._git.branches(where.tree)
        else:
            previous = self._snapshots.get(*where.key)
            listed = previous.branches if previous else None
        self._put(where, WorkspaceState.READY, status=status, branches=listed, worktrees=worktrees)
        return status

    def _put(
        self,
        where: Located,
        state: WorkspaceState,
        *,
        status: WorkspaceStatus | None = None,
        branches: Branches | None = None,
        error: str | None = None,
        worktrees: tuple[WorktreeState, ...] | None = None,  # None: the last known ones
    ) -> None:
        if worktrees is None:
            previous = self._snapshots.get(*where.key)
            worktrees = previous.worktrees if previous else ()
        snapshot = WorkspaceSnapshot(
            state=state,
            path=str(where.path),
            checked_at=self._clock.now(),
            status=status,
            branches=branches,
            error=error,
            worktrees=worktrees,
        )
        self._snapshots.put(*where.key, snapshot)
