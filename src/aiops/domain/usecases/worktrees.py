"""Worktrees: one git worktree per task, beside a user's main workspace of a project.

AddWorktree makes one (the main workspace first, when it is missing) on a branch given, or
on an issue's branch `aiops/<issue-key-slug>`; ListWorktrees shows them with their live
status; RemoveWorktree removes one, refusing (WorktreeDirty, naming what would be lost) when
it holds uncommitted or unpushed work, unless forced. Git runs as the user's account, one
operation at a time per main workspace (its lock); each change is audited.

AddWorktree also lists `/AGENTS.override.md` in the repository's `info/exclude` (shared by
the workspace and all its worktrees), for a new worktree and a reused one alike: the issue's
context aiops writes there is never untracked in `git status`, nor staged by `git add -A`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import attrs

from aiops.domain.errors import DomainError, NotFound, ValidationError
from aiops.domain.model import validation
from aiops.domain.model.access import SYSTEM, Actor, Permission, may_act_for
from aiops.domain.model.agent_context import FILENAME as AGENTS_FILE
from aiops.domain.model.users import User
from aiops.domain.model.workspaces import WorkspacePolicy, WorkspaceStatus
from aiops.domain.model.worktrees import (
    Worktree,
    WorktreeDirty,
    WorktreeExists,
    WorktreeMissing,
    issue_branch,
    worktree_path,
)
from aiops.domain.usecases._audit import record
from aiops.domain.usecases._lookups import require_project
from aiops.domain.usecases._workspace import Located, LocateWorkspace, WorkspaceRef
from aiops.domain.usecases.workspaces import WorkspaceResult
from aiops.ports.clock import Clock
from aiops.ports.git_workspaces import GitWorkspaces, WorkTree
from aiops.ports.git_worktrees import GitWorktrees
from aiops.ports.linux_users import LinuxUsers
from aiops.ports.locks import KeyedLocks
from aiops.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

EXCLUDED = f"/{AGENTS_FILE}"  # the issue context aiops writes: never part of a commit


@attrs.frozen(kw_only=True)
class AddWorktreeCommand:
    project_id: int
    user_email: str | None = None  # whose; None: the actor's own
    issue_id: int | None = None  # exactly one of issue_id and branch
    branch: str | None = None
    from_ref: str | None = None  # where a new branch starts (default: origin/<default branch>)
    actor: Actor = SYSTEM


@attrs.frozen(kw_only=True)
class WorktreeResult:
    worktree: Worktree
    created: bool  # False: the user had that worktree already


@attrs.frozen(kw_only=True)
class WorktreeView:
    worktree: Worktree
    project_slug: str
    user_email: str
    status: WorkspaceStatus | None = None  # None: not read, or it could not be (see error)
    unpushed: int = 0  # commits on no remote-tracking branch (the branch tracks none)
    error: str | None = None


class _WorktreeUseCase:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        locate: LocateWorkspace,
        worktrees: GitWorktrees,
        locks: KeyedLocks,
        clock: Clock,
        policy: WorkspacePolicy,
    ) -> None:
        self._uow = uow
        self._locate = locate
        self._worktrees = worktrees
        self._locks = locks
        self._clock = clock
        self._policy = policy

    def _audit(
        self, uow: UnitOfWork, where: Located, actor: Actor, action: str, **detail: str
    ) -> None:
        record(
            uow,
            self._clock,
            actor=actor.name,
            action=action,
            target=f"project:{where.project.id}",
            tenant=where.tenant_slug,
            user=where.user.email,
            **detail,
        )


class AddWorktree(_WorktreeUseCase):
    """A worktree of the user's workspace of a project, on a branch or an issue's branch
    (the existing one when the user has it already)."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        locate: LocateWorkspace,
        worktrees: GitWorktrees,
        locks: KeyedLocks,
        clock: Clock,
        policy: WorkspacePolicy,
        init_workspace: Callable[[WorkspaceRef], WorkspaceResult],  # the main one, when missing
        git: GitWorkspaces,
    ) -> None:
        super().__init__(
            uow=uow, locate=locate, worktrees=worktrees, locks=locks, clock=clock, policy=policy
        )
        self._init_workspace = init_workspace
        self._git = git

    def __call__(self, cmd: AddWorktreeCommand) -> WorktreeResult:
        start = validation.branch(cmd.from_ref, field="from") if cmd.from_ref else None
        ref = WorkspaceRef(project_id=cmd.project_id, user_email=cmd.user_email, actor=cmd.actor)
        where = self._locate(ref, Permission.USE)
        branch = self._branch(cmd, where)
        path = Path(worktree_path(self._policy, where.user, where.project.slug, branch))
        known = self._known(where, branch, path)
        if known is not None:
            self._restore(where, known)
            return WorktreeResult(worktree=known, created=False)
        if self._git.origin(where.tree) is None:
            self._init_workspace(attrs.evolve(ref, user_email=where.user.email))
        tree = WorkTree(path, where.account)
        default = f"origin/{where.project.default_branch}"
        with self._locks.hold(where.path):
            self._worktrees.add(
                where.tree, tree, branch=branch, start=start, default=default, access=where.access
            )
            try:
                self._worktrees.exclude(where.tree, EXCLUDED)
                saved = self._save(cmd, where, branch, path)
            except DomainError:
                self._worktrees.remove(where.tree, tree, force=True)  # as it was
                raise
        return WorktreeResult(worktree=saved, created=True)

    def _branch(self, cmd: AddWorktreeCommand, where: Located) -> str:
        """The branch given, or the issue's (which must be the project's)."""
        if (cmd.issue_id is None) == (cmd.branch is None):
            raise ValidationError("branch", "give either an issue or a branch, not both")
        if cmd.branch is not None:
            return validation.branch(cmd.branch)
        with self._uow(read_only=True) as uow:
            issue = uow.issues.get(cmd.issue_id or 0)
        if issue is None or issue.project_id != where.project.id:
            raise NotFound(f"issue {cmd.issue_id} does not exist in project {where.project.slug}")
        return issue_branch(issue.provider.value, issue.remote.number, issue.remote.title)

    def _restore(self, where: Located, known: Worktree) -> None:
        """A recorded worktree whose folder went (removed behind aiops's back) is made again
        on its branch, which git kept; a worktree made before aiops excluded its file gets
        the exclusion."""
        tree = WorkTree(Path(known.path), where.account)
        if self._git.origin(where.tree) is None:
            return
        with self._locks.hold(where.path):
            if self._git.origin(tree) is None:
                self._worktrees.remove(where.tree, tree, force=False)  # prunes git's record
                self._worktrees.add(
                    where.tree, tree, branch=known.branch, start=None, access=where.access
                )
            self._worktrees.exclude(where.tree, EXCLUDED)

    def _known(self, where: Located, branch: str, path: Path) -> Worktree | None:
        """The user's worktree on that branch, if recorded; WorktreeExists when the folder is
        another branch's."""
        user_id, project_id = where.key
        with self._uow(read_only=True) as uow:
            mine = uow.worktrees.list(project_id=project_id, user_id=user_id)
        for worktree in mine:
            if worktree.branch == branch:
                return worktree
            if worktree.path == str(path):
                raise WorktreeExists(f"{path} is the worktree of branch {worktree.branch!r}")
        return None

    def _save(self, cmd: AddWorktreeCommand, where: Located, branch: str, path: Path) -> Worktree:
        user_id, project_id = where.key
        with self._uow() as uow:
            saved = uow.worktrees.add(
                Worktree(
                    user_id=user_id,
                    project_id=project_id,
                    issue_id=cmd.issue_id,
                    branch=branch,
                    path=str(path),
                    created_at=self._clock.now(),
                )
            )
            self._audit(uow, where, cmd.actor, "worktree.added", branch=branch, path=str(path))
            uow.commit()
        return saved


@attrs.frozen(kw_only=True)
class ListWorktreesCommand:
    project_id: int | None = None
    actor: Actor = SYSTEM
    status: bool = True  # read each one's live status (a git call per worktree)


class ListWorktrees:
    """The worktrees the actor may see (their own; every one of a tenant they manage; all
    for admins and the CLI), oldest first, with their live status."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        git: GitWorkspaces,
        worktrees: GitWorktrees,
        linux_users: LinuxUsers,
        policy: WorkspacePolicy,
    ) -> None:
        self._uow = uow
        self._git = git
        self._worktrees = worktrees
        self._linux_users = linux_users
        self._policy = policy

    def __call__(self, cmd: ListWorktreesCommand) -> list[WorktreeView]:
        with self._uow(read_only=True) as uow:
            if cmd.project_id is not None:
                require_project(uow, cmd.project_id, cmd.actor)
            projects = {p.id: p for p in uow.projects.list()}
            users = {u.id: u for u in uow.users.list()}
            views = [
                WorktreeView(
                    worktree=w,
                    project_slug=projects[w.project_id].slug,
                    user_email=users[w.user_id].email,
                )
                for w in uow.worktrees.list(project_id=cmd.project_id)
                if _may_see(cmd.actor, w, projects[w.project_id].tenant_id)
            ]
        if not cmd.status:
            return views
        return [self._with_status(view, users) for view in views]

    def _with_status(self, view: WorktreeView, users: Mapping[int | None, User]) -> WorktreeView:
        try:
            name = self._policy.account_for(users[view.worktree.user_id])
            account = self._linux_users.lookup(name) if name else None
            tree = WorkTree(Path(view.worktree.path), account)
            status = self._git.status(tree)
            unpushed = len(self._worktrees.losses(tree).commits)
        except DomainError as error:
            return attrs.evolve(view, error=error.message)
        return attrs.evolve(view, status=status, unpushed=unpushed)


def _may_see(actor: Actor, worktree: Worktree, tenant_id: int) -> bool:
    return may_act_for(actor, worktree.user_id) or actor.may(Permission.MANAGE, tenant_id)


@attrs.frozen(kw_only=True)
class RemoveWorktreeCommand:
    worktree_id: int
    force: bool = False
    project_id: int | None = None  # the API's route names it: another project's is not found
    actor: Actor = SYSTEM


class RemoveWorktree(_WorktreeUseCase):
    """Remove a worktree (its branch is kept). Uncommitted files or commits on no
    remote-tracking branch refuse the removal (WorktreeDirty names them) unless forced."""

    def __call__(self, cmd: RemoveWorktreeCommand) -> Worktree:
        worktree = self._visible(cmd)
        with self._uow(read_only=True) as uow:
            owner = uow.users.get(worktree.user_id)
        assert owner is not None  # a worktree's user is deleted with it
        ref = WorkspaceRef(project_id=worktree.project_id, user_email=owner.email, actor=cmd.actor)
        where = self._locate(ref, Permission.USE)
        tree = WorkTree(Path(worktree.path), where.account)
        with self._locks.hold(where.path):
            if not cmd.force and (losses := self._worktrees.losses(tree)):
                raise WorktreeDirty(worktree.path, losses)
            self._worktrees.remove(where.tree, tree, force=cmd.force)
            with self._uow() as uow:
                uow.worktrees.delete(worktree.id or 0)
                detail = {"branch": worktree.branch, "path": worktree.path}
                if cmd.force:
                    detail["force"] = "true"
                self._audit(uow, where, cmd.actor, "worktree.removed", **detail)
                uow.commit()
        return worktree

    def _visible(self, cmd: RemoveWorktreeCommand) -> Worktree:
        missing = WorktreeMissing(f"worktree {cmd.worktree_id} does not exist")
        with self._uow(read_only=True) as uow:
            worktree = uow.worktrees.get(cmd.worktree_id)
            project = uow.projects.get(worktree.project_id) if worktree else None
        if worktree is None or project is None:
            raise missing
        if cmd.project_id is not None and worktree.project_id != cmd.project_id:
            raise missing
        if not _may_see(cmd.actor, worktree, project.tenant_id):
            raise missing
        return worktree


def views_by_project(views: Sequence[WorktreeView]) -> dict[int, list[WorktreeView]]:
    """The views grouped by project id (the dashboard's cards)."""
    grouped: dict[int, list[WorktreeView]] = {}
    for view in views:
        grouped.setdefault(view.worktree.project_id, []).append(view)
    return grouped
