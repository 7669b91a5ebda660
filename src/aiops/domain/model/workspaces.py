"""A user's git workspace of a project: where it lives, what state it is in, what can go wrong.

Each user works in their own clone at `{root}/{username}/workspace/{project-slug}`. The names
that make the path are validated here, before any filesystem or git call sees them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import PurePosixPath

import attrs

from aiops.domain.errors import Conflict, DomainError, NotFound, ValidationError
from aiops.domain.model import accounts, validation
from aiops.domain.model.projects import CloneFilter
from aiops.domain.model.users import User


def workspace_path(root: PurePosixPath, username: str, project_slug: str) -> PurePosixPath:
    """The workspace folder; both names are validated, so the result always stays under root."""
    if not root.is_absolute():
        raise ValidationError("workspace_root", f"{str(root)!r} must be an absolute path")
    name = validation.username(username)
    slug = validation.slug(project_slug, field="project")
    path = root / name / "workspace" / slug
    # Belt and braces: validated names hold no '/', '..' or NUL, so this cannot fail.
    if path.parent.parent.parent != root:
        raise ValidationError("workspace", f"{path} is outside {root}")
    return path


@attrs.frozen
class Commit:
    sha: str
    subject: str
    author: str
    committed_at: datetime


@attrs.frozen(kw_only=True)
class WorkspaceStatus:
    """What `git status` would say, in numbers a card can show."""

    branch: str | None  # None when HEAD is detached
    upstream: str | None  # e.g. "origin/main"; None when the branch tracks nothing
    ahead: int = 0
    behind: int = 0
    staged: int = 0
    unstaged: int = 0
    untracked: int = 0
    conflicted: tuple[str, ...] = ()
    last_commit: Commit | None = None  # None in a repository without commits

    @property
    def clean(self) -> bool:
        return not (self.staged or self.unstaged or self.untracked or self.conflicted)


@attrs.frozen(kw_only=True)
class Branches:
    current: str | None
    local: tuple[str, ...]
    remote: tuple[str, ...]  # "origin/main", ...


class MergeKind(enum.StrEnum):
    UP_TO_DATE = "up_to_date"
    FAST_FORWARD = "fast_forward"
    MERGE_COMMIT = "merge_commit"


@attrs.frozen(kw_only=True)
class MergeOutcome:
    kind: MergeKind
    head: str  # the sha HEAD points to afterwards


@attrs.frozen(kw_only=True)
class PushOutcome:
    branch: str
    remote_ref: str  # e.g. "refs/heads/main"
    head: str
    up_to_date: bool = False


@attrs.frozen(kw_only=True)
class RemoteAccess:
    """How to reach a project's remote: its URL (a workspace whose origin says otherwise is
    refused), and an SSH private key file or an https token."""

    url: str | None = None
    ssh_key_path: str | None = None
    https_token: str | None = attrs.field(default=None, repr=False)


@attrs.frozen(kw_only=True)
class CloneShape:
    """How much of the remote a new clone takes (the project's clone settings): every blob
    or none until needed (a partial clone), and the whole history or its last `depth`
    commits of each branch."""

    filter: CloneFilter = CloneFilter.NONE
    depth: int = 0

    @property
    def partial(self) -> bool:
        return self.filter is not CloneFilter.NONE


FULL_CLONE = CloneShape()


def _listing(files: Iterable[str], limit: int = 10) -> str:
    names = sorted(files)
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


class WorkspaceMissing(NotFound):
    code = "workspace_missing"


class WorkspaceExists(Conflict):
    """The folder exists but is not this project's clone (another repository, or not git)."""

    code = "workspace_exists"


class UnsafeWorkspace(Conflict):
    """The workspace path is not a real folder of the acting account's (a symbolic link, a
    file, or in a folder someone else owns): aiops does no git there at all."""

    code = "unsafe_workspace"


class DirtyWorkTree(Conflict):
    """Uncommitted changes the operation would overwrite; nothing was changed."""

    code = "dirty_work_tree"

    def __init__(self, operation: str, files: Iterable[str]) -> None:
        self.files = tuple(sorted(files))
        super().__init__(
            f"{operation} would overwrite uncommitted changes in {_listing(self.files)}: "
            "commit or stash them first"
        )


class MergeConflict(Conflict):
    """The merge was abandoned: the work tree is as it was before."""

    code = "merge_conflict"

    def __init__(self, source: str, files: Iterable[str]) -> None:
        self.files = tuple(sorted(files))
        super().__init__(
            f"merging {source} conflicts in {_listing(self.files)}; nothing was changed: "
            "merge it by hand in your workspace"
        )


class PushRejected(Conflict):
    code = "push_rejected"


class BranchExists(Conflict):
    code = "branch_exists"


class BranchMissing(NotFound):
    code = "branch_missing"


class RemoteFailed(DomainError):
    """The remote could not be reached, refused our credentials, or has no such repository."""

    code = "remote_failed"


class WorkspaceState(enum.StrEnum):
    MISSING = "missing"  # no clone yet: "Initialize workspace"
    READY = "ready"
    ERROR = "error"  # the last operation or refresh failed; `error` says why


@attrs.frozen(kw_only=True)
class WorktreeState:
    """One of the user's worktrees of the project (domain/model/worktrees.py) as the card
    shows it: its last known status and how many commits are on no remote branch."""

    id: int
    branch: str
    path: str
    status: WorkspaceStatus | None = None
    unpushed: int = 0
    error: str | None = None


@attrs.frozen(kw_only=True)
class WorkspaceSnapshot:
    """What a dashboard card shows: the last known state, read without touching git."""

    state: WorkspaceState
    path: str
    checked_at: datetime
    status: WorkspaceStatus | None = None
    branches: Branches | None = None
    error: str | None = None
    worktrees: tuple[WorktreeState, ...] = ()  # as of the last refresh


@attrs.frozen(kw_only=True)
class WorkspacePolicy:
    """Where workspaces live and which Linux account each user is (from the settings)."""

    root: PurePosixPath
    linux_user_strategy: str = "mapping"  # mapping: the user's linux_username; direct: username
    linux_user_mapping: Mapping[str, str] = attrs.field(factory=dict)  # email -> Linux account

    def account_for(self, user: User) -> str | None:
        """The user's Linux account, the one decision every caller uses (see
        domain/model/accounts.py); None: they have none."""
        return accounts.account_for(
            user, strategy=self.linux_user_strategy, mapping=self.linux_user_mapping
        )

    def account_clash(self, user: User, others: Iterable[User]) -> accounts.AccountTaken | None:
        """The error when the user's account is another user's too; None when it is not."""
        return accounts.account_clash(
            user, others, strategy=self.linux_user_strategy, mapping=self.linux_user_mapping
        )

    def path_for(self, user: User, project_slug: str) -> PurePosixPath:
        """The user's workspace of a project, in the folder named after their account (their
        username when they have none)."""
        return workspace_path(self.root, self.account_for(user) or user.username, project_slug)


class TransferCancelled(Conflict):
    """A clone or fetch stopped on request: a clone leaves no folder behind, a fetch leaves
    the workspace as it was (its branches move only when git finishes)."""

    code = "transfer_cancelled"


class NoTransfer(Conflict):
    """A cancel asked where no clone or fetch runs."""

    code = "no_transfer"


class TransferPhase(enum.StrEnum):
    """What git is doing, in the order it does it (the remote's phases first)."""

    STARTING = "starting"  # connecting: nothing reported yet
    COUNTING = "counting"  # remote: Enumerating / Counting objects
    COMPRESSING = "compressing"  # remote: Compressing objects
    RECEIVING = "receiving"  # Receiving objects (with bytes)
    RESOLVING = "resolving"  # Resolving deltas
    UPDATING = "updating"  # Updating files / Checking out files (a clone's checkout)


@attrs.frozen(kw_only=True)
class TransferProgress:
    """How far a clone or fetch has come, from git's own progress lines. `percent` is of the
    current phase; `objects_*` count that phase's items (objects, deltas or files);
    `bytes_received` is what came over the wire so far (None before git says)."""

    phase: TransferPhase
    percent: int = 0
    objects_done: int = 0
    objects_total: int = 0
    bytes_received: int | None = None
    operation: str = ""  # clone, fetch or pull: set by the use case
