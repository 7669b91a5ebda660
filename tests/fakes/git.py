"""A fake of the git workspaces port (ports/git_workspaces.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import attrs

from aiops.domain.errors import (
    DomainError,
    ValidationError,
)
from aiops.domain.model.workspaces import (
    FULL_CLONE,
    Branches,
    BranchExists,
    BranchMissing,
    CloneShape,
    Commit,
    DirtyWorkTree,
    MergeConflict,
    MergeKind,
    MergeOutcome,
    PushOutcome,
    PushRejected,
    RemoteAccess,
    RemoteFailed,
    TransferCancelled,
    TransferPhase,
    TransferProgress,
    UnsafeWorkspace,
    WorkspaceExists,
    WorkspaceMissing,
    WorkspaceStatus,
)
from aiops.domain.model.worktrees import Losses, WorktreeExists
from aiops.ports.git_workspaces import CancelCheck, GitWorkspaces, ProgressSink, WorkTree
from tests.fakes.basics import FakeClock


@attrs.define
class FakeClone:
    """A work tree: branch histories as lists of commit ids, the newest last."""

    origin: str
    branches: dict[str, list[str]]
    remote: dict[str, list[str]]  # what origin had at the last fetch, by branch name
    current: str
    upstream: dict[str, str] = attrs.field(factory=dict)  # branch -> remote branch
    dirty: set[str] = attrs.field(factory=set)  # tracked files with uncommitted changes
    untracked: set[str] = attrs.field(factory=set)


class FakeGitWorkspaces:
    """Remotes are `{url: {branch: [commit, ...]}}`; clones live in `self.clones` by path.

    Set `conflicts` to the files the next pull or merge conflicts in, `unreachable` to the
    URLs whose remote fails, `unsafe` to the paths that are symbolic links (every operation
    there is refused). Operations never change a clone when they raise. `acted_as`
    records, per path, the account (name, None: aiops's own) each operation ran as.

    Clone and fetch report STEPS progress steps (receiving 0..100, then resolving), looking
    at the cancel check before each and after the last: a cancelled clone leaves no clone,
    a cancelled fetch leaves the remote branches as they were (TransferCancelled)."""

    STEPS = (
        (TransferPhase.RECEIVING, 0),
        (TransferPhase.RECEIVING, 50),
        (TransferPhase.RECEIVING, 100),
        (TransferPhase.RESOLVING, 100),
    )

    def __init__(self, remotes: dict[str, dict[str, list[str]]] | None = None) -> None:
        self.remotes = remotes if remotes is not None else {}
        self.clones: dict[Path, FakeClone] = {}
        self.conflicts: tuple[str, ...] = ()
        self.unreachable: set[str] = set()
        self.accesses: list[RemoteAccess] = []
        self.acted_as: dict[Path, set[str | None]] = {}
        self.shapes: dict[Path, CloneShape] = {}  # how each clone was made
        self.unsafe: set[Path] = set()
        self.subjects: dict[str, str] = {}  # commit id -> its message
        self._commits = 0

    def commit(self, path: Path, message: str = "work") -> str:
        """A local commit on the current branch (as the user would make)."""
        clone = self.clones[path]
        self._commits += 1
        sha = f"{message}-{self._commits}"
        clone.branches[clone.current].append(sha)
        self.subjects[sha] = message
        return sha

    def _remote(self, url: str, access: RemoteAccess) -> dict[str, list[str]]:
        self.accesses.append(access)
        if access.url is not None and url != access.url:
            raise RemoteFailed(f"this workspace's origin is {url}, not {access.url}")
        if url in self.unreachable or url not in self.remotes:
            raise RemoteFailed(f"cannot reach {url}: repository not found")
        return self.remotes[url]

    def _as(self, tree: WorkTree) -> Path:
        if tree.path in self.unsafe:
            raise UnsafeWorkspace(f"{tree.path} is a symbolic link")
        self.acted_as.setdefault(tree.path, set()).add(tree.account.name if tree.account else None)
        return tree.path

    def _clone(self, tree: WorkTree) -> FakeClone:
        path = self._as(tree)
        if path not in self.clones:
            raise WorkspaceMissing(f"{path} is not a git work tree")
        return self.clones[path]

    def origin(self, tree: WorkTree) -> str | None:
        clone = self.clones.get(self._as(tree))
        return clone.origin if clone else None

    def _transfer(self, progress: ProgressSink | None, cancel: CancelCheck | None) -> None:
        for phase, percent in self.STEPS:
            if cancel is not None and cancel.cancelled():
                raise TransferCancelled("cancelled")
            if progress is not None:
                progress(
                    TransferProgress(
                        phase=phase,
                        percent=percent,
                        objects_done=percent,
                        objects_total=100,
                        bytes_received=percent * 1024,
                    )
                )
        if cancel is not None and cancel.cancelled():
            raise TransferCancelled("cancelled")

    def clone(
        self,
        url: str,
        tree: WorkTree,
        *,
        branch: str,
        access: RemoteAccess,
        shape: CloneShape = FULL_CLONE,
        progress: ProgressSink | None = None,
        cancel: CancelCheck | None = None,
    ) -> None:
        path = self._as(tree)
        if path in self.clones:
            raise WorkspaceExists(f"{path} already exists")
        remote = self._remote(url, access)
        self._transfer(progress, cancel)
        current = branch if branch in remote else next(iter(remote), branch)
        keep = -shape.depth if shape.depth else 0  # shallow: each branch's newest commits
        self.shapes[path] = shape
        self.clones[path] = FakeClone(
            origin=url,
            branches={current: list(remote.get(current, []))[keep:]},
            remote={name: history[keep:] for name, history in remote.items()},
            current=current,
            upstream={current: current},
        )

    def status(self, tree: WorkTree) -> WorkspaceStatus:
        clone = self._clone(tree)
        local = clone.branches[clone.current]
        upstream = clone.upstream.get(clone.current)
        remote = clone.remote.get(upstream, []) if upstream else []
        return WorkspaceStatus(
            branch=clone.current,
            upstream=f"origin/{upstream}" if upstream else None,
            ahead=len([c for c in local if c not in remote]) if upstream else 0,
            behind=len([c for c in remote if c not in local]) if upstream else 0,
            unstaged=len(clone.dirty),
            untracked=len(clone.untracked),
            last_commit=Commit(
                sha=local[-1], subject=local[-1], author="fake", committed_at=FakeClock().now()
            )
            if local
            else None,
        )

    def fetch(
        self,
        tree: WorkTree,
        access: RemoteAccess,
        *,
        progress: ProgressSink | None = None,
        cancel: CancelCheck | None = None,
    ) -> None:
        clone = self._clone(tree)
        remote = self._remote(clone.origin, access)
        self._transfer(progress, cancel)
        clone.remote = {name: list(history) for name, history in remote.items()}

    def pull(
        self,
        tree: WorkTree,
        access: RemoteAccess,
        *,
        progress: ProgressSink | None = None,
        cancel: CancelCheck | None = None,
    ) -> MergeOutcome:
        self.fetch(tree, access, progress=progress, cancel=cancel)
        clone = self._clone(tree)
        upstream = clone.upstream.get(clone.current)
        if upstream is None:
            raise ValidationError("branch", f"{clone.current!r} tracks no remote branch")
        return self._merge_into(clone, clone.remote[upstream], f"origin/{upstream}")

    def push(self, tree: WorkTree, access: RemoteAccess) -> PushOutcome:
        clone = self._clone(tree)
        remote = self._remote(clone.origin, access)
        local = clone.branches[clone.current]
        theirs = remote.get(clone.current, [])
        if local[: len(theirs)] != theirs:
            raise PushRejected("the remote has commits you do not have: pull first")
        remote[clone.current] = list(local)
        clone.remote[clone.current] = list(local)
        clone.upstream.setdefault(clone.current, clone.current)
        return PushOutcome(
            branch=clone.current,
            remote_ref=f"refs/heads/{clone.current}",
            head=local[-1],
            up_to_date=local == theirs,
        )

    def branches(self, tree: WorkTree) -> Branches:
        clone = self._clone(tree)
        return Branches(
            current=clone.current,
            local=tuple(sorted(clone.branches)),
            remote=tuple(sorted(f"origin/{name}" for name in clone.remote)),
        )

    def checkout(self, tree: WorkTree, branch: str, access: RemoteAccess | None = None) -> None:
        clone = self._clone(tree)
        if branch not in clone.branches and branch not in clone.remote:
            raise BranchMissing(f"no branch {branch!r}")
        if clone.dirty:
            raise DirtyWorkTree("checkout", clone.dirty)
        if branch not in clone.branches:
            clone.branches[branch] = list(clone.remote[branch])
            clone.upstream[branch] = branch
        clone.current = branch

    def create_branch(
        self, tree: WorkTree, branch: str, base: str | None, access: RemoteAccess | None = None
    ) -> None:
        clone = self._clone(tree)
        if branch in clone.branches:
            raise BranchExists(f"branch {branch!r} already exists")
        start = self._history(clone, base) if base else clone.branches[clone.current]
        clone.branches[branch] = list(start)
        clone.current = branch

    def merge(
        self, tree: WorkTree, branch: str, access: RemoteAccess | None = None
    ) -> MergeOutcome:
        clone = self._clone(tree)
        return self._merge_into(clone, self._history(clone, branch), branch)

    def _history(self, clone: FakeClone, ref: str) -> list[str]:
        name = ref.removeprefix("origin/")
        history = clone.remote.get(name) if ref.startswith("origin/") else clone.branches.get(ref)
        if history is None:
            raise BranchMissing(f"no branch {ref!r}")
        return history

    def _merge_into(self, clone: FakeClone, theirs: list[str], source: str) -> MergeOutcome:
        ours = clone.branches[clone.current]
        if all(c in ours for c in theirs):
            return MergeOutcome(kind=MergeKind.UP_TO_DATE, head=ours[-1] if ours else "")
        if clone.dirty:
            raise DirtyWorkTree("merge", clone.dirty)
        if self.conflicts:
            raise MergeConflict(source, self.conflicts)
        if ours == theirs[: len(ours)]:
            ours[:] = list(theirs)
            return MergeOutcome(kind=MergeKind.FAST_FORWARD, head=ours[-1])
        ours.extend([c for c in theirs if c not in ours] + [f"merge-{source}"])
        return MergeOutcome(kind=MergeKind.MERGE_COMMIT, head=ours[-1])


class FakeGitWorktrees:
    """Worktrees of the fake's clones: each one a clone of its own at its path (so the fake's
    status, commits and dirt work in it), on its branch. `removed` records the removals as
    (path, force); a removal keeps the branch in the main clone. `excluded` records, per main
    clone's path, the patterns of its `info/exclude` (which all its worktrees share)."""

    def __init__(self, git: FakeGitWorkspaces) -> None:
        self.git = git
        self.removed: list[tuple[Path, bool]] = []
        self.excluded: dict[Path, list[str]] = {}
        self.unsafe_exclude = False  # info/exclude is a link: exclude() refuses

    def add(
        self,
        main: WorkTree,
        tree: WorkTree,
        *,
        branch: str,
        start: str | None,
        default: str | None = None,
        access: RemoteAccess | None = None,
    ) -> None:
        if access is not None:
            self.git.accesses.append(access)
        source = self.git._clone(main)
        self.git._as(tree)
        if tree.path in self.git.clones:
            raise WorktreeExists(f"{tree.path} already exists")
        if branch in source.branches and start is not None:
            raise BranchExists(f"branch {branch!r} already exists")
        if branch in source.branches:
            history = source.branches[branch]
        else:
            history = source.branches[source.current]
            if start or (default and default.removeprefix("origin/") in source.remote):
                history = self.git._history(source, start or default or "")
        source.branches.setdefault(branch, list(history))
        self.git.clones[tree.path] = FakeClone(
            origin=source.origin,
            branches={branch: list(history)},
            remote=source.remote,
            current=branch,
        )

    def losses(self, tree: WorkTree) -> Losses:
        clone = self.git.clones.get(self.git._as(tree))
        if clone is None:
            return Losses()
        pushed = {c for history in clone.remote.values() for c in history}
        unpushed = [c for c in clone.branches[clone.current] if c not in pushed]
        return Losses(files=tuple(sorted(clone.dirty | clone.untracked)), commits=tuple(unpushed))

    def commits_ahead(self, tree: WorkTree, base: str) -> tuple[str, ...]:
        clone = self.git._clone(tree)
        theirs = self.git._history(clone, base)
        ours = [c for c in clone.branches[clone.current] if c not in theirs]
        return tuple(f"{c} {self.git.subjects.get(c, c)}" for c in reversed(ours))

    def exclude(self, main: WorkTree, pattern: str) -> None:
        self.git._clone(main)
        if self.unsafe_exclude:
            raise UnsafeWorkspace(f"{main.path}/.git/info/exclude is a symbolic link")
        if not pattern.strip() or not pattern.isprintable():
            raise ValidationError("pattern", "must be one printable line")
        patterns = self.excluded.setdefault(main.path, [])
        if pattern not in patterns:
            patterns.append(pattern)

    def remove(self, main: WorkTree, tree: WorkTree, *, force: bool) -> None:
        source = self.git._clone(main)
        clone = self.git.clones.get(self.git._as(tree))
        if clone is not None:
            if (clone.dirty or clone.untracked) and not force:
                raise DomainError(f"git worktree remove failed in {main.path}: contains changes")
            source.branches[clone.current] = list(clone.branches[clone.current])
            del self.git.clones[tree.path]
        self.removed.append((tree.path, force))


class GitAsAiops:
    """The real git adapter with every account replaced by aiops's own: for tests whose Linux
    accounts live in memory (FakeLinuxUsers), which no launcher can become."""

    def __init__(self, git: GitWorkspaces) -> None:
        self._git = git

    def __getattr__(self, name: str) -> Callable[..., object]:
        method = getattr(self._git, name)

        def as_aiops(*args: object, **kwargs: object) -> object:
            mine = (WorkTree(a.path) if isinstance(a, WorkTree) else a for a in args)
            return method(*mine, **kwargs)

        return as_aiops
