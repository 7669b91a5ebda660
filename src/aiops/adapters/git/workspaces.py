"""GitCliWorkspaces: the GitWorkspaces port, with the git CLI run as the workspace's account
through the launcher (ADR 0009).

Every method first looks at the workspace as the account (folders.check): a link, a
non-folder or a folder of someone else's is refused before git runs. The hot path (status,
origin, branches) is here; everything else is in operations.py, imported on first use, so a
one-shot process that only reads a status loads nothing it does not need.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from aiops.adapters.git import folders
from aiops.adapters.git.command import Git, in_workspace
from aiops.adapters.git.status import COMMIT_FORMAT, STATUS, parse_commit, parse_porcelain_v2
from aiops.adapters.launching import AccountLauncher
from aiops.domain.model.workspaces import (
    FULL_CLONE,
    Branches,
    CloneShape,
    Commit,
    MergeOutcome,
    PushOutcome,
    RemoteAccess,
    WorkspaceStatus,
)
from aiops.ports.git_workspaces import CancelCheck, ProgressSink, WorkTree

if TYPE_CHECKING:
    from aiops.adapters.git.operations import GitCliOperations

_COMMIT_CACHE_SIZE = 4096
ORIGIN_URL = ("config", "--local", "--get", "remote.origin.url")
HEADS, REMOTES = "refs/heads/", "refs/remotes/origin/"


class GitCliWorkspaces:
    """Safe to share between threads: its only mutable state is a lock-guarded commit cache."""

    def __init__(
        self,
        *,
        launcher: AccountLauncher,
        known_hosts: Path,
        accept_new_host_keys: bool = False,
        scratch: Path = Path("/tmp"),  # noqa: S108 - each transfer gets a private folder
    ) -> None:
        self._launcher = launcher
        self._known_hosts = known_hosts
        self._accept_new = accept_new_host_keys
        self._scratch = scratch
        self._commits: dict[tuple[Path, str], Commit] = {}  # a commit never changes
        self._lock = threading.Lock()

    def status(self, tree: WorkTree) -> WorkspaceStatus:
        raw = parse_porcelain_v2(self._open(tree).out(["--no-optional-locks", *STATUS]))
        return WorkspaceStatus(
            branch=raw.branch,
            upstream=raw.upstream,
            ahead=raw.ahead,
            behind=raw.behind,
            staged=raw.staged,
            unstaged=raw.unstaged,
            untracked=raw.untracked,
            conflicted=raw.conflicted,
            last_commit=None if raw.oid is None else self._last_commit(tree, raw.oid),
        )

    def origin(self, tree: WorkTree) -> str | None:
        if not folders.check(self._launcher, tree):
            return None
        found = Git(self._launcher, tree).run(ORIGIN_URL)
        return found.stdout.decode().strip() if found.returncode == 0 else None

    def branches(self, tree: WorkTree) -> Branches:
        git = self._open(tree)
        listed = git.out(["for-each-ref", "--format=%(HEAD) %(refname)", HEADS, REMOTES])
        current, local, remote = None, [], []
        for line in listed.decode("utf-8", "surrogateescape").splitlines():
            marker, name = line[:1], line[2:]
            if name.startswith(HEADS):
                local.append(name.removeprefix(HEADS))
                current = name.removeprefix(HEADS) if marker == "*" else current
            elif name != f"{REMOTES}HEAD":
                remote.append(f"origin/{name.removeprefix(REMOTES)}")
        if current is None:  # detached, or an unborn branch (which has no ref yet)
            found = git.run(["symbolic-ref", "-q", "--short", "HEAD"])
            current = (found.stdout.decode().strip() if found.returncode == 0 else "") or None
        return Branches(current=current, local=tuple(sorted(local)), remote=tuple(sorted(remote)))

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
        self._operations().clone(
            url, tree, branch=branch, access=access, shape=shape, progress=progress, cancel=cancel
        )

    def fetch(
        self,
        tree: WorkTree,
        access: RemoteAccess,
        *,
        progress: ProgressSink | None = None,
        cancel: CancelCheck | None = None,
    ) -> None:
        self._operations().fetch(tree, access, progress=progress, cancel=cancel)

    def pull(
        self,
        tree: WorkTree,
        access: RemoteAccess,
        *,
        progress: ProgressSink | None = None,
        cancel: CancelCheck | None = None,
    ) -> MergeOutcome:
        return self._operations().pull(tree, access, progress=progress, cancel=cancel)

    def push(self, tree: WorkTree, access: RemoteAccess) -> PushOutcome:
        return self._operations().push(tree, access)

    def checkout(self, tree: WorkTree, branch: str, access: RemoteAccess | None = None) -> None:
        self._operations().checkout(tree, branch, access)

    def create_branch(
        self, tree: WorkTree, branch: str, base: str | None, access: RemoteAccess | None = None
    ) -> None:
        self._operations().create_branch(tree, branch, base, access)

    def merge(
        self, tree: WorkTree, branch: str, access: RemoteAccess | None = None
    ) -> MergeOutcome:
        return self._operations().merge(tree, branch, access)

    def _operations(self) -> GitCliOperations:
        from aiops.adapters.git.credentials import (  # noqa: PLC0415 - see the docstring
            Credentials,
        )
        from aiops.adapters.git.operations import (  # noqa: PLC0415 - see the docstring
            GitCliOperations,
        )

        credentials = Credentials(
            launcher=self._launcher,
            known_hosts=self._known_hosts,
            accept_new_host_keys=self._accept_new,
            scratch=self._scratch,
        )
        return GitCliOperations(launcher=self._launcher, credentials=credentials)

    def _open(self, tree: WorkTree) -> Git:
        return in_workspace(self._launcher, tree)

    def _last_commit(self, tree: WorkTree, sha: str) -> Commit:
        key = (tree.path, sha)
        with self._lock:
            cached = self._commits.get(key)
        if cached is None:
            assert all(ch in "0123456789abcdef" for ch in sha), sha  # from git's own output
            log = Git(self._launcher, tree).out(["log", "-1", COMMIT_FORMAT, sha, "--"])
            cached = parse_commit(log)
            with self._lock:
                if len(self._commits) >= _COMMIT_CACHE_SIZE:
                    self._commits.clear()
                self._commits[key] = cached
        return cached
