"""Git operations on one working tree. The use cases decide whose tree and whether they may;
an adapter only does git, and raises the workspace errors of aiops.domain.model.workspaces
(never a library's exception) when git refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from aiops.domain.model.workspaces import (
    Branches,
    MergeOutcome,
    PushOutcome,
    RemoteAccess,
    WorkspaceStatus,
)


class GitWorkspaces(Protocol):
    def origin(self, path: Path) -> str | None:
        """The clone's origin URL; None when `path` is not a git work tree (or does not exist)."""
        ...

    def clone(self, url: str, path: Path, *, branch: str, access: RemoteAccess) -> None:
        """Clone into `path` (which must not exist) and check out `branch`, or the remote's
        default when it has no such branch. On failure nothing is left at `path`."""
        ...

    def status(self, path: Path) -> WorkspaceStatus: ...

    def fetch(self, path: Path, access: RemoteAccess) -> None: ...

    def pull(self, path: Path, access: RemoteAccess) -> MergeOutcome:
        """Fetch, then bring the current branch up to its upstream: fast-forward, or merge when
        diverged. Raises DirtyWorkTree or MergeConflict leaving the tree as it was."""
        ...

    def push(self, path: Path, access: RemoteAccess) -> PushOutcome:
        """Push the current branch to origin (setting upstream when it has none). A
        non-fast-forward raises PushRejected."""
        ...

    def branches(self, path: Path) -> Branches: ...

    def checkout(self, path: Path, branch: str) -> None:
        """Switch to a local branch, or create a tracking branch from origin/<branch>."""
        ...

    def create_branch(self, path: Path, branch: str, base: str | None) -> None:
        """Create `branch` at `base` (a local or origin/ branch; HEAD when None), check it out."""
        ...

    def merge(self, path: Path, branch: str) -> MergeOutcome:
        """Merge a local or remote-tracking branch into the current one."""
        ...
