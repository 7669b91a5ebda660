"""DulwichGitWorkspaces: the GitWorkspaces port, with the git CLI for the hot status path and
dulwich for everything else (ADR 0003).

dulwich and the modules built on it are imported on first use: a one-shot process that only
reads a status (a CLI command, a scheduler probe) starts without them.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from aiops.adapters.git.status import git_env, parse_porcelain_v2, read_commit, run_status
from aiops.domain.model.workspaces import (
    Branches,
    Commit,
    MergeOutcome,
    PushOutcome,
    RemoteAccess,
    WorkspaceStatus,
)

if TYPE_CHECKING:
    from aiops.adapters.git.operations import DulwichOperations

_COMMIT_CACHE_SIZE = 4096


class DulwichGitWorkspaces:
    """Safe to share between threads: its only mutable state is a lock-guarded commit cache."""

    def __init__(
        self, *, known_hosts: Path, accept_new_host_keys: bool = False, git: str = "git"
    ) -> None:
        self._known_hosts = known_hosts
        self._accept_new = accept_new_host_keys
        self._git = git
        self._env = git_env()
        self._commits: dict[tuple[Path, str], Commit] = {}  # a commit never changes
        self._lock = threading.Lock()

    def status(self, path: Path) -> WorkspaceStatus:
        raw = parse_porcelain_v2(run_status(self._git, self._env, path, untracked="normal"))
        return WorkspaceStatus(
            branch=raw.branch,
            upstream=raw.upstream,
            ahead=raw.ahead,
            behind=raw.behind,
            staged=raw.staged,
            unstaged=raw.unstaged,
            untracked=raw.untracked,
            conflicted=raw.conflicted,
            last_commit=None if raw.oid is None else self._last_commit(path, raw.oid),
        )

    def origin(self, path: Path) -> str | None:
        return self._dulwich().origin(path)

    def branches(self, path: Path) -> Branches:
        return self._dulwich().branches(path)

    def clone(self, url: str, path: Path, *, branch: str, access: RemoteAccess) -> None:
        self._dulwich().clone(url, path, branch=branch, access=access)

    def fetch(self, path: Path, access: RemoteAccess) -> None:
        self._dulwich().fetch(path, access)

    def pull(self, path: Path, access: RemoteAccess) -> MergeOutcome:
        return self._dulwich().pull(path, access)

    def push(self, path: Path, access: RemoteAccess) -> PushOutcome:
        return self._dulwich().push(path, access)

    def checkout(self, path: Path, branch: str) -> None:
        self._dulwich().checkout(path, branch)

    def create_branch(self, path: Path, branch: str, base: str | None) -> None:
        self._dulwich().create_branch(path, branch, base)

    def merge(self, path: Path, branch: str) -> MergeOutcome:
        return self._dulwich().merge(path, branch)

    def _dulwich(self) -> DulwichOperations:
        from aiops.adapters.git.operations import (  # noqa: PLC0415 - see the module docstring
            DulwichOperations,
        )

        return DulwichOperations(
            known_hosts=self._known_hosts,
            accept_new_host_keys=self._accept_new,
            git=self._git,
            env=self._env,
        )

    def _last_commit(self, path: Path, sha: str) -> Commit:
        key = (path, sha)
        with self._lock:
            cached = self._commits.get(key)
        if cached is None:
            cached = read_commit(self._git, self._env, path, sha)
            with self._lock:
                if len(self._commits) >= _COMMIT_CACHE_SIZE:
                    self._commits.clear()
                self._commits[key] = cached
        return cached
