"""Worktrees of a workspace (`git worktree`), as the workspace's Linux account. The status of a
worktree is read like a workspace's (GitWorkspaces.status on its WorkTree)."""

from __future__ import annotations

from typing import Protocol

from aiops.domain.model.workspaces import RemoteAccess
from aiops.domain.model.worktrees import Losses
from aiops.ports.git_workspaces import WorkTree


class GitWorktrees(Protocol):
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
        """A worktree of the workspace `main` at `tree.path` (which must not exist; its two
        parent folders are made private to the account), on `branch`: made at `start` (a
        branch, `origin/<branch>` or a commit) without tracking, or, when `start` is None,
        the existing branch, else a new one at `default` (HEAD when that names nothing).
        BranchExists when `start` is given for an existing branch, BranchMissing when
        `start` names nothing, WorktreeExists when the path is taken. In a partial clone,
        the blobs the new tree lacks are fetched from origin with `access` (the project's
        credentials). On failure nothing is left behind."""
        ...

    def losses(self, tree: WorkTree) -> Losses:
        """What removing the worktree would lose (nothing when it is gone already)."""
        ...

    def commits_ahead(self, tree: WorkTree, base: str) -> tuple[str, ...]:
        """The commits of the tree's HEAD that `base` (e.g. `origin/main`) lacks, newest
        first, as "<full sha> <subject>"."""
        ...

    def exclude(self, main: WorkTree, pattern: str) -> None:
        """`pattern` (one line, e.g. `/AGENTS.override.md`) in the repository's
        `info/exclude`, which every worktree of it shares; nothing when it is there already."""
        ...

    def remove(self, main: WorkTree, tree: WorkTree, *, force: bool) -> None:
        """Remove the worktree's folder (`force`: with whatever is in it) and git's record of
        it; the branch is kept. A worktree whose folder is gone is only pruned."""
        ...
