"""Everything but status, with dulwich: origin and branches, and everything that changes a
repository (clone, fetch, pull, push, checkout, branches, merges). Branch names are validated
before any git call."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import attrs
from dulwich.client import GitClient
from dulwich.errors import NotGitRepository
from dulwich.objects import ObjectID
from dulwich.refs import HEADREF, LOCAL_BRANCH_PREFIX, Ref
from dulwich.repo import Repo

from aiops.adapters.git import repo as repos
from aiops.adapters.git.cloning import clone_into, fresh_folder
from aiops.adapters.git.merging import integrate
from aiops.adapters.git.remote import client_closed, open_remote, remote_errors
from aiops.adapters.git.transfer import fetch_origin, push_branch
from aiops.adapters.git.worktree import local_changes, switch_tree
from aiops.domain.errors import DomainError
from aiops.domain.model import validation
from aiops.domain.model.workspaces import (
    Branches,
    BranchExists,
    BranchMissing,
    MergeOutcome,
    PushOutcome,
    RemoteAccess,
    RemoteFailed,
)


@attrs.frozen(kw_only=True)
class DulwichOperations:
    known_hosts: Path
    accept_new_host_keys: bool
    git: str
    env: Mapping[str, str]

    def origin(self, path: Path) -> str | None:
        assert path.is_absolute(), path
        try:
            with Repo(str(path)) as repo:
                return repos.origin_url(repo)
        except (NotGitRepository, OSError):
            return None

    def branches(self, path: Path) -> Branches:
        with repos.open_repo(path) as repo:
            local = repo.refs.keys(base=Ref(LOCAL_BRANCH_PREFIX))
            remote = repo.refs.keys(base=Ref(repos.REMOTE_PREFIX)) - {b"HEAD"}
            return Branches(
                current=repos.current_branch(repo),
                local=tuple(sorted(name.decode() for name in local)),
                remote=tuple(sorted(f"{repos.ORIGIN}/{name.decode()}" for name in remote)),
            )

    def clone(self, url: str, path: Path, *, branch: str, access: RemoteAccess) -> None:
        validation.branch(branch)
        assert path.is_absolute(), path
        client, remote_path = self._remote(url, access, "clone")
        with fresh_folder(path), remote_errors(url), client_closed(client):
            clone_into(path, url, client, remote_path, branch=branch)

    def fetch(self, path: Path, access: RemoteAccess) -> None:
        with repos.open_repo(path) as repo:
            self._fetch(repo, access)

    def pull(self, path: Path, access: RemoteAccess) -> MergeOutcome:
        with repos.open_repo(path) as repo:
            branch = repos.attached_branch(repo, "pull")
            upstream = repos.upstream(repo, branch)
            if upstream is None:
                raise BranchMissing(f"{branch} tracks no branch of origin: push it first")
            self._fetch(repo, access)
            source = f"{repos.ORIGIN}/{upstream}"
            return integrate(
                repo,
                repos.remote_branch(repo, upstream),
                source=source,
                message=f"Merge remote-tracking branch '{source}'",
                local=local_changes(self.git, self.env, path),
                operation="pull",
            )

    def push(self, path: Path, access: RemoteAccess) -> PushOutcome:
        with repos.open_repo(path) as repo:
            branch = repos.attached_branch(repo, "push")
            if repos.head_commit(repo) is None:
                raise DomainError(f"{branch} has no commits yet: commit something first")
            url = _origin_url(repo, access)
            client, remote_path = self._remote(url, access, "push")
            with remote_errors(url), client_closed(client):
                changed = push_branch(repo, client, remote_path, branch)
            if repos.upstream(repo, branch) is None:
                repos.set_upstream(repo, branch, branch)
            return PushOutcome(
                branch=branch,
                remote_ref=f"refs/heads/{branch}",
                head=repo.refs[HEADREF].decode(),
                up_to_date=not changed,
            )

    def checkout(self, path: Path, branch: str) -> None:
        local_ref = repos.branch_ref(branch)
        with repos.open_repo(path) as repo:
            if local_ref in repo.refs:
                target, tracking = repo.refs[local_ref], None
            else:
                target, tracking = repos.remote_branch(repo, branch), branch
            self._switch(repo, path, target, operation=f"checkout of {branch}")
            if tracking is not None:
                repo.refs[local_ref] = target
                repos.set_upstream(repo, branch, tracking)
            repo.refs.set_symbolic_ref(HEADREF, local_ref)

    def create_branch(self, path: Path, branch: str, base: str | None) -> None:
        new_ref = repos.branch_ref(branch)
        if base is not None:
            validation.branch(base, field="base")
        with repos.open_repo(path) as repo:
            if new_ref in repo.refs:
                raise BranchExists(f"branch {branch!r} already exists")
            tracking = None
            if base is None:
                head = repos.head_commit(repo)
                if head is None:
                    raise BranchMissing("HEAD has no commits yet to branch from")
                target = head.id
            else:
                base_ref, target = repos.resolve(repo, base)
                if base_ref.startswith(repos.REMOTE_PREFIX):
                    tracking = base_ref[len(repos.REMOTE_PREFIX) :].decode()
                self._switch(repo, path, target, operation=f"checkout of {branch}")
            repo.refs[new_ref] = target
            if tracking is not None:
                repos.set_upstream(repo, branch, tracking)
            repo.refs.set_symbolic_ref(HEADREF, new_ref)

    def merge(self, path: Path, branch: str) -> MergeOutcome:
        validation.branch(branch)
        with repos.open_repo(path) as repo:
            _, theirs = repos.resolve(repo, branch)
            return integrate(
                repo,
                theirs,
                source=branch,
                message=f"Merge branch '{branch}'",
                local=local_changes(self.git, self.env, path),
                operation=f"merging {branch}",
            )

    def _remote(self, url: str, access: RemoteAccess, operation: str) -> tuple[GitClient, str]:
        return open_remote(
            url,
            access,
            known_hosts=self.known_hosts,
            accept_new=self.accept_new_host_keys,
            operation=operation,
        )

    def _fetch(self, repo: Repo, access: RemoteAccess) -> None:
        url = _origin_url(repo, access)
        client, remote_path = self._remote(url, access, "fetch")
        with remote_errors(url), client_closed(client):
            fetch_origin(repo, client, remote_path)

    def _switch(self, repo: Repo, path: Path, target: ObjectID, *, operation: str) -> None:
        head = repos.head_commit(repo)
        switch_tree(
            repo,
            None if head is None else head.tree,
            repos.commit(repo, target).tree,
            local=local_changes(self.git, self.env, path),
            operation=operation,
        )


def _origin_url(repo: Repo, access: RemoteAccess) -> str:
    """Where to fetch from and push to: the URL the caller names (the project's), never
    another one a user wrote into .git/config to borrow the project's credentials."""
    url = repos.origin_url(repo)
    if url is None:
        raise RemoteFailed("this workspace has no origin remote")
    if access.url is not None and url != access.url:
        raise RemoteFailed(
            f"this workspace's origin is {url}, not the project's remote {access.url}: "
            "set it back with `git remote set-url origin` or initialize a new workspace"
        )
    return url
