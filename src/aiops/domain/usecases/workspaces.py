"""A user's git workspace of a project: initialize it, read it, and drive it.

Each use case finds the workspace (see _workspace.LocateWorkspace), runs one git operation
through the GitWorkspaces port, records it in the audit trail, and keeps a snapshot of the
result for the dashboard. A failed operation leaves the workspace as it was (the port
promises that) and its message on the dashboard card.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import timedelta
from pathlib import Path

import attrs

from aiops.domain.errors import Conflict, DomainError, ValidationError
from aiops.domain.model import validation
from aiops.domain.model.access import SYSTEM, Actor, Permission
from aiops.domain.model.workspaces import (
    Branches,
    CloneShape,
    MergeOutcome,
    NoTransfer,
    PushOutcome,
    TransferPhase,
    TransferProgress,
    WorkspaceExists,
    WorkspaceMissing,
    WorkspaceSnapshot,
    WorkspaceState,
    WorkspaceStatus,
    WorktreeState,
)
from aiops.domain.model.worktrees import Worktree
from aiops.domain.usecases._audit import record
from aiops.domain.usecases._lookups import require_project
from aiops.domain.usecases._workspace import (
    Located,
    LocateWorkspace,
    WorkspaceRef,
    WorkspaceUseCase,
)
from aiops.ports.clock import Clock
from aiops.ports.git_workspaces import CancelCheck, GitWorkspaces, ProgressSink, WorkTree
from aiops.ports.git_worktrees import GitWorktrees
from aiops.ports.locks import KeyedLocks
from aiops.ports.transfer_progress import TransferProgressBoard
from aiops.ports.unit_of_work import UnitOfWorkFactory
from aiops.ports.workspace_snapshots import WorkspaceSnapshots


@attrs.frozen(kw_only=True)
class WorkspaceResult:
    project_id: int
    path: str
    # None only from GetWorkspaceStatus while the first clone runs (`progress` says how far)
    status: WorkspaceStatus | None
    created: bool = False  # InitWorkspace: False when a healthy clone was already there
    outcome: MergeOutcome | PushOutcome | None = None
    progress: TransferProgress | None = None  # the clone or fetch under way, if any


@attrs.frozen(kw_only=True)
class TransferWatch:
    """What the caller of a clone or fetch adds to the board (a CLI's progress bar, its
    Ctrl-C): told each step, and asked whether to stop."""

    progress: ProgressSink | None = None
    cancel: CancelCheck | None = None


@attrs.frozen
class _Transfer:
    """The sink and cancel check handed to git: steps go to the board (and the caller's
    watch), a stop is asked through the board (or the watch)."""

    board: TransferProgressBoard
    key: tuple[int, int]
    operation: str
    watch: TransferWatch

    def __call__(self, progress: TransferProgress) -> None:
        step = attrs.evolve(progress, operation=self.operation)
        self.board.publish(*self.key, step)
        if self.watch.progress is not None:
            self.watch.progress(step)

    def cancelled(self) -> bool:
        theirs = self.watch.cancel
        return self.board.cancelled(*self.key) or (theirs is not None and theirs.cancelled())


# One git operation, given the transfer's sink and cancel check (None: not a transfer).
_Run = Callable[[_Transfer | None], MergeOutcome | PushOutcome | None]


class _Changing(WorkspaceUseCase):
    """A use case that changes a workspace: one operation at a time in it, audited."""

    def __init__(
        self,
        *,
        locate: LocateWorkspace,
        git: GitWorkspaces,
        snapshots: WorkspaceSnapshots,
        clock: Clock,
        locks: KeyedLocks,  # one operation at a time per workspace: a double click waits its turn
        uow: UnitOfWorkFactory,
        transfers: TransferProgressBoard,
    ) -> None:
        super().__init__(locate=locate, git=git, snapshots=snapshots, clock=clock)
        self._locks = locks
        self._uow = uow
        self._transfers = transfers

    @contextlib.contextmanager
    def _transfer(
        self, where: Located, operation: str, watch: TransferWatch | None
    ) -> Iterator[_Transfer]:
        """A clone or fetch on the board while the block runs, whatever its end."""
        self._transfers.start(
            *where.key, TransferProgress(phase=TransferPhase.STARTING, operation=operation)
        )
        try:
            yield _Transfer(self._transfers, where.key, operation, watch or TransferWatch())
        finally:
            self._transfers.finish(*where.key)

    def _audit(self, where: Located, actor: Actor, action: str, **detail: str | None) -> None:
        """Record a change made in the workspace, in the workspace's tenant."""
        with self._uow() as uow:
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
            uow.commit()


class InitWorkspace(_Changing):
    """Clone the project's repository into the user's workspace, or report the clone that is
    already there. A folder holding anything else is left alone and reported."""

    def __call__(self, ref: WorkspaceRef, watch: TransferWatch | None = None) -> WorkspaceResult:
        where = self._locate(ref, Permission.USE)
        url, access = where.project.repo_url, where.access
        if url is None:
            raise Conflict(f"project {where.project.slug!r} has no repo_url: set one first")
        with self._locks.hold(where.path):
            origin = self._git.origin(where.tree)
            created = origin is None
            if origin is not None and origin != url:
                raise WorkspaceExists(f"{where.path} is a clone of {origin}, not of {url}")
            if created:  # clone refuses (WorkspaceExists) a folder that holds anything else
                project = where.project
                shape = CloneShape(filter=project.clone_filter, depth=project.clone_depth)
                with self._transfer(where, "clone", watch) as transfer:
                    self._git.clone(
                        url,
                        where.tree,
                        branch=project.default_branch,
                        access=access,
                        shape=shape,
                        progress=transfer,
                        cancel=transfer,
                    )
                self._audit(where, ref.actor, "workspace.initialized", path=str(where.path))
            status = self._snapshot(where)
        assert where.project.id is not None
        return WorkspaceResult(
            project_id=where.project.id, path=str(where.path), status=status, created=created
        )


class GetWorkspaceStatus(WorkspaceUseCase):
    """The live status (and a fresh snapshot for the dashboard), with the clone or fetch under
    way if any. Only the status: listing branches is a second read, left to refreshes and
    operations. While the first clone runs there is no status yet: its progress alone."""

    def __init__(
        self,
        *,
        locate: LocateWorkspace,
        git: GitWorkspaces,
        snapshots: WorkspaceSnapshots,
        clock: Clock,
        transfers: TransferProgressBoard,
    ) -> None:
        super().__init__(locate=locate, git=git, snapshots=snapshots, clock=clock)
        self._transfers = transfers

    def __call__(self, ref: WorkspaceRef) -> WorkspaceResult:
        where = self._locate(ref, Permission.VIEW)
        assert where.project.id is not None
        running = self._transfers.get(*where.key)
        if running is not None and running.operation == "clone":
            return WorkspaceResult(
                project_id=where.project.id, path=str(where.path), status=None, progress=running
            )
        try:
            status = self._snapshot(where, branches=False)
        except WorkspaceMissing:
            self._put(where, WorkspaceState.MISSING)
            raise WorkspaceMissing(_missing(where)) from None
        return WorkspaceResult(
            project_id=where.project.id, path=str(where.path), status=status, progress=running
        )


class ReadTransfer:
    """The clone or fetch under way in the actor's workspace of a project (None: none), from
    the board alone: what a card polls, without git or the disk."""

    def __init__(self, *, locate: LocateWorkspace, transfers: TransferProgressBoard) -> None:
        self._locate = locate
        self._transfers = transfers

    def __call__(self, ref: WorkspaceRef) -> TransferProgress | None:
        where = self._locate(ref, Permission.VIEW)
        return self._transfers.get(*where.key)


class CancelTransfer:
    """Ask the clone or fetch under way in the actor's workspace of a project to stop (it
    stops within a moment; a clone leaves no folder). Conflict when none runs."""

    def __init__(self, *, locate: LocateWorkspace, transfers: TransferProgressBoard) -> None:
        self._locate = locate
        self._transfers = transfers

    def __call__(self, ref: WorkspaceRef) -> TransferProgress:
        where = self._locate(ref, Permission.USE)
        running = self._transfers.get(*where.key)
        if running is None or not self._transfers.cancel(*where.key):
            raise NoTransfer(f"nothing is being cloned or fetched in {where.path}")
        return running


class ListBranches:
    def __init__(self, *, locate: LocateWorkspace, git: GitWorkspaces) -> None:
        self._locate = locate
        self._git = git

    def __call__(self, ref: WorkspaceRef) -> Branches:
        where = self._locate(ref, Permission.VIEW)
        try:
            return self._git.branches(where.tree)
        except WorkspaceMissing:
            raise WorkspaceMissing(_missing(where)) from None


class GitOperation(enum.StrEnum):
    FETCH = "fetch"
    PULL = "pull"
    PUSH = "push"
    CHECKOUT = "checkout"
    CREATE_BRANCH = "create-branch"
    MERGE = "merge"

    @property
    def needs_branch(self) -> bool:
        return self in {GitOperation.CHECKOUT, GitOperation.CREATE_BRANCH, GitOperation.MERGE}

    @property
    def transfers(self) -> bool:
        """Whether it fetches from origin (with progress, and may be cancelled)."""
        return self in {GitOperation.FETCH, GitOperation.PULL}


@attrs.frozen(kw_only=True)
class OperateCommand(WorkspaceRef):
    operation: GitOperation
    branch: str | None = None  # checkout, create-branch, merge
    base: str | None = None  # create-branch: where the new branch starts (default: HEAD)


class OperateWorkspace(_Changing):
    """fetch, pull, push, checkout, create-branch or merge, in the user's own workspace."""

    def __call__(self, cmd: OperateCommand, watch: TransferWatch | None = None) -> WorkspaceResult:
        branch, base = _branch_arguments(cmd)
        where = self._locate(cmd, Permission.USE)
        git, tree, access = self._git, where.tree, where.access
        runs: Mapping[GitOperation, _Run] = {
            GitOperation.FETCH: lambda t: git.fetch(tree, access, progress=t, cancel=t),
            GitOperation.PULL: lambda t: git.pull(tree, access, progress=t, cancel=t),
            GitOperation.PUSH: lambda _: git.push(tree, access),
            GitOperation.CHECKOUT: lambda _: git.checkout(tree, branch, access),
            GitOperation.CREATE_BRANCH: lambda _: git.create_branch(tree, branch, base, access),
            GitOperation.MERGE: lambda _: git.merge(tree, branch, access),
        }
        with self._locks.hold(where.path):
            if git.origin(tree) is None:
                self._put(where, WorkspaceState.MISSING)
                raise WorkspaceMissing(_missing(where))
            try:
                with self._on_board(where, cmd.operation, watch) as transfer:
                    outcome = runs[cmd.operation](transfer)
            except DomainError as error:
                self._put_failure(where, error)
                raise
            self._audit(
                where, cmd.actor, f"workspace.{cmd.operation.value}", branch=cmd.branch, base=base
            )
            status = self._snapshot(where)
        assert where.project.id is not None
        return WorkspaceResult(
            project_id=where.project.id, path=str(where.path), status=status, outcome=outcome
        )

    def _on_board(
        self, where: Located, operation: GitOperation, watch: TransferWatch | None
    ) -> contextlib.AbstractContextManager[_Transfer | None]:
        """A fetch or pull is on the progress board while it runs; nothing else is."""
        if operation.transfers:
            return self._transfer(where, operation.value, watch)
        return contextlib.nullcontext()

    def _put_failure(self, where: Located, error: DomainError) -> None:
        previous = self._snapshots.get(*where.key)
        self._put(
            where,
            WorkspaceState.ERROR,
            status=previous.status if previous else None,
            branches=previous.branches if previous else None,
            error=error.message,
        )


def _branch_arguments(cmd: OperateCommand) -> tuple[str, str | None]:
    """Validated before anything touches git: the branch (where one is needed) and the base."""
    if not cmd.operation.needs_branch:
        return "", None
    if not cmd.branch:
        raise ValidationError("branch", f"{cmd.operation.value} needs a branch name")
    branch = validation.branch(cmd.branch)
    base = None
    if cmd.base and cmd.operation is GitOperation.CREATE_BRANCH:
        base = validation.branch(cmd.base, field="from")
    return branch, base


def _missing(where: Located) -> str:
    return (
        f"{where.user.email} has no workspace for project {where.project.slug!r} at "
        f"{where.path}: initialize it first"
    )


class RefreshSnapshot(WorkspaceUseCase):
    """Bring one dashboard snapshot up to date, with the user's worktrees of the project;
    failures become the snapshot's error (a worktree's, that worktree's)."""

    def __init__(
        self,
        *,
        locate: LocateWorkspace,
        git: GitWorkspaces,
        snapshots: WorkspaceSnapshots,
        clock: Clock,
        locks: KeyedLocks,
        uow: UnitOfWorkFactory | None = None,  # with worktrees: the user's worktrees too
        worktrees: GitWorktrees | None = None,
    ) -> None:
        super().__init__(locate=locate, git=git, snapshots=snapshots, clock=clock)
        self._locks = locks
        self._uow = uow
        self._worktrees = worktrees

    def __call__(self, ref: WorkspaceRef) -> WorkspaceSnapshot | None:
        try:
            where = self._locate(ref, Permission.VIEW)
        except DomainError:
            return None  # the user or project is gone, or access was withdrawn
        try:
            with self._locks.hold(where.path):
                self._snapshot(where, worktrees=self._worktree_states(where))
        except WorkspaceMissing:
            self._put(where, WorkspaceState.MISSING)
        except DomainError as error:
            self._put(where, WorkspaceState.ERROR, error=error.message)
        return self._snapshots.get(*where.key)

    def _worktree_states(self, where: Located) -> tuple[WorktreeState, ...]:
        if self._uow is None or self._worktrees is None:
            return ()
        with self._uow(read_only=True) as uow:
            rows = uow.worktrees.list(project_id=where.project.id, user_id=where.user.id)
        return tuple(worktree_state(self._git, self._worktrees, where, w) for w in rows)


def worktree_state(
    git: GitWorkspaces, worktrees: GitWorktrees, where: Located, worktree: Worktree
) -> WorktreeState:
    """A worktree's status, read as the workspace's account (its error, when it cannot be)."""
    state = WorktreeState(id=worktree.id or 0, branch=worktree.branch, path=worktree.path)
    tree = WorkTree(Path(worktree.path), where.account)
    try:
        status = git.status(tree)
        unpushed = len(worktrees.losses(tree).commits)
    except DomainError as error:
        return attrs.evolve(state, error=error.message)
    return attrs.evolve(state, status=status, unpushed=unpushed)


@attrs.frozen(kw_only=True)
class SnapshotsView:
    snapshots: Mapping[int, WorkspaceSnapshot]  # by project id
    stale: tuple[int, ...]  # project ids whose snapshot is missing or older than the TTL
    version: int


class ReadSnapshots:
    """The dashboard's view of a user's workspaces: memory only, never git or the disk."""

    def __init__(self, *, snapshots: WorkspaceSnapshots, clock: Clock) -> None:
        self._snapshots = snapshots
        self._clock = clock

    def __call__(self, user_id: int, project_ids: Sequence[int], ttl: timedelta) -> SnapshotsView:
        oldest = self._clock.now() - ttl
        found: dict[int, WorkspaceSnapshot] = {}
        stale = []
        for project_id in project_ids:
            snapshot = self._snapshots.get(user_id, project_id)
            if snapshot is not None:
                found[project_id] = snapshot
            if snapshot is None or snapshot.checked_at < oldest:
                stale.append(project_id)
        return SnapshotsView(snapshots=found, stale=tuple(stale), version=self._snapshots.version())


@attrs.frozen(kw_only=True)
class FetchReport:
    fetched: tuple[str, ...] = ()  # emails of the users whose workspace was fetched
    missing: int = 0  # users who may use the project but have no workspace of it
    failed: tuple[tuple[str, str], ...] = ()  # (email, why)


class FetchWorkspaces:
    """Fetch (never pull) every workspace of a project, for the scheduler: the remote-tracking
    branches move; the users' own branches and working trees are left exactly as they are."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        locate: LocateWorkspace,
        git: GitWorkspaces,
        locks: KeyedLocks,
    ) -> None:
        self._uow = uow
        self._locate = locate
        self._git = git
        self._locks = locks

    def __call__(self, project_id: int) -> FetchReport:
        with self._uow(read_only=True) as uow:
            _, tenant = require_project(uow, project_id, SYSTEM)
            members = {m.user_id for m in uow.memberships.list_for_tenant(tenant.id or 0)}
            users = [u.email for u in uow.users.list() if u.is_admin or u.id in members]
        fetched: list[str] = []
        failed: list[tuple[str, str]] = []
        missing = 0
        for email in users:
            try:
                where = self._locate(
                    WorkspaceRef(project_id=project_id, user_email=email), Permission.USE
                )
            except DomainError:
                continue  # a viewer, or a user gone since
            with self._locks.hold(where.path):
                try:
                    if self._git.origin(where.tree) is None:
                        missing += 1
                        continue
                    self._git.fetch(where.tree, where.access)
                except DomainError as error:
                    failed.append((email, error.message))
                    continue
            fetched.append(email)
        return FetchReport(fetched=tuple(fetched), missing=missing, failed=tuple(failed))
