"""Git operations on one working tree, as one Linux account. The use cases decide whose tree,
as whom and whether they may; an adapter only does git, as that account, and raises the
workspace errors of aiops.domain.model.workspaces (never a library's exception) when git, the
system or its own checks refuse."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import attrs

from aiops.domain.model.workspaces import (
    FULL_CLONE,
    Branches,
    CloneShape,
    MergeOutcome,
    PushOutcome,
    RemoteAccess,
    TransferProgress,
    WorkspaceStatus,
)
from aiops.ports.linux_users import LinuxAccount


@attrs.frozen
class WorkTree:
    """A workspace and the account every git process in it runs as (None: the account aiops
    itself runs as). The workspace is `<root>/<name>/workspace/<project>`: a real folder, in a
    folder of the account's; anything else is refused (UnsafeWorkspace) before git runs."""

    path: Path
    account: LinuxAccount | None = None


class ProgressSink(Protocol):
    """Told each step of a clone or fetch as git reports it (from the transfer's thread)."""

    def __call__(self, progress: TransferProgress) -> None: ...


class CancelCheck(Protocol):
    """Polled by a clone or fetch while it runs (a few times a second): True stops git and
    raises TransferCancelled; a clone leaves no folder behind."""

    def cancelled(self) -> bool: ...


class GitWorkspaces(Protocol):
    def origin(self, tree: WorkTree) -> str | None:
        """The clone's origin URL; None when there is nothing at `tree.path`, or not a git
        work tree."""
        ...

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
        """Clone into `tree.path` (which must not exist) and check out `branch`, or the
        remote's default when it has no such branch; `shape` says how much of the remote to
        take. Its two parent folders are made first, private to the account. Progress goes to
        `progress`; `cancel` stops it (TransferCancelled). On failure or cancel nothing is
        left at `tree.path`."""
        ...

    def status(self, tree: WorkTree) -> WorkspaceStatus: ...

    def fetch(
        self,
        tree: WorkTree,
        access: RemoteAccess,
        *,
        progress: ProgressSink | None = None,
        cancel: CancelCheck | None = None,
    ) -> None:
        """Fetch origin's branches and tags, reporting to `progress`; `cancel` stops it
        (TransferCancelled), the remote-tracking branches as they were."""
        ...

    def pull(
        self,
        tree: WorkTree,
        access: RemoteAccess,
        *,
        progress: ProgressSink | None = None,
        cancel: CancelCheck | None = None,
    ) -> MergeOutcome:
        """Fetch (as `fetch`), then bring the current branch up to its upstream: fast-forward,
        or merge when diverged. Raises DirtyWorkTree or MergeConflict leaving the tree as it
        was; a cancelled fetch merges nothing."""
        ...

    def push(self, tree: WorkTree, access: RemoteAccess) -> PushOutcome:
        """Push the current branch to origin (setting upstream when it has none). A
        non-fast-forward raises PushRejected."""
        ...

    def branches(self, tree: WorkTree) -> Branches: ...

    # checkout, create_branch and merge: in a partial clone git fetches the blobs they read
    # from origin, with `access` (the project's credentials) when given.

    def checkout(self, tree: WorkTree, branch: str, access: RemoteAccess | None = None) -> None:
        """Switch to a local branch, or create a tracking branch from origin/<branch>."""
        ...

    def create_branch(
        self, tree: WorkTree, branch: str, base: str | None, access: RemoteAccess | None = None
    ) -> None:
        """Create `branch` at `base` (a local or origin/ branch; HEAD when None), check it out."""
        ...

    def merge(
        self, tree: WorkTree, branch: str, access: RemoteAccess | None = None
    ) -> MergeOutcome:
        """Merge a local or remote-tracking branch into the current one."""
        ...
