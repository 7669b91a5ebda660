"""Small reads and writes on an open dulwich repository: HEAD, branches, tracking, identity."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dulwich.config import ConfigDict
from dulwich.errors import NotGitRepository
from dulwich.filters import FilterContext, FilterDriver, FilterRegistry
from dulwich.objects import Commit, ObjectID
from dulwich.refs import HEADREF, LOCAL_BRANCH_PREFIX, Ref
from dulwich.repo import Repo

from aiops.domain.errors import DomainError
from aiops.domain.model import validation
from aiops.domain.model.workspaces import BranchMissing, WorkspaceMissing

ORIGIN = "origin"
REMOTE_PREFIX = b"refs/remotes/origin/"
FALLBACK_IDENTITY = b"aiops <aiops@localhost>"


class _NoCommandFilters(FilterRegistry):
    """A user's own .git/config and .gitattributes may name filter commands (and LFS a
    server); aiops, perhaps running as root, never runs them. Line endings still apply."""

    def _create_from_config(self, name: str) -> FilterDriver | None:
        return None

    def get_driver(self, name: str) -> FilterDriver | None:
        return super().get_driver(name) if name == "text" else None


def harden(repo: Repo) -> Repo:
    """No hooks, no filter commands: nothing a user wrote into the repository runs here."""
    repo.hooks.clear()
    repo.filter_context = FilterContext(_NoCommandFilters(ConfigDict(), repo))
    return repo


@contextmanager
def open_repo(path: Path) -> Iterator[Repo]:
    """The work tree at `path` (WorkspaceMissing when it is not one), closed afterwards."""
    assert path.is_absolute(), path
    if not (path / ".git").exists():
        raise WorkspaceMissing(f"{path} is not a git work tree")
    try:
        repo = harden(Repo(str(path)))
    except NotGitRepository as error:
        raise WorkspaceMissing(f"{path} is not a git work tree") from error
    try:
        yield repo
    finally:
        repo.close()


def branch_ref(name: str) -> Ref:
    return Ref(LOCAL_BRANCH_PREFIX + validation.branch(name).encode())


def current_branch(repo: Repo) -> str | None:
    """The checked-out branch, or None when HEAD is detached."""
    names, _ = repo.refs.follow(HEADREF)
    target = names[-1]
    if target.startswith(LOCAL_BRANCH_PREFIX):
        return target[len(LOCAL_BRANCH_PREFIX) :].decode()
    return None


def head_commit(repo: Repo) -> Commit | None:
    """HEAD's commit; None on an unborn branch."""
    _, sha = repo.refs.follow(HEADREF)
    if sha is None:
        return None
    commit = repo[sha]
    assert isinstance(commit, Commit)
    return commit


def resolve(repo: Repo, name: str) -> tuple[Ref, ObjectID]:
    """A local branch, or `origin/<branch>` for a remote-tracking one (BranchMissing if none)."""
    validation.branch(name)
    candidates = [branch_ref(name)]
    if name.startswith(f"{ORIGIN}/"):
        candidates.insert(0, Ref(REMOTE_PREFIX + name[len(ORIGIN) + 1 :].encode()))
    for ref in candidates:
        try:
            return ref, repo.refs[ref]
        except KeyError:
            continue
    raise BranchMissing(f"no branch {name!r} here (nor on origin after the last fetch)")


def commit(repo: Repo, sha: ObjectID) -> Commit:
    found = repo[sha]
    assert isinstance(found, Commit)
    return found


def upstream(repo: Repo, branch: str) -> str | None:
    """The origin branch that `branch` follows, None if it tracks none."""
    config = repo.get_config()
    section = (b"branch", branch.encode())
    try:
        remote = config.get(section, b"remote")
        merge = config.get(section, b"merge")
    except KeyError:
        return None
    if remote != ORIGIN.encode() or not merge.startswith(LOCAL_BRANCH_PREFIX):
        return None
    return merge[len(LOCAL_BRANCH_PREFIX) :].decode()


def set_upstream(repo: Repo, branch: str, remote_branch: str) -> None:
    """branch.<b>.remote = origin, branch.<b>.merge = refs/heads/<remote_branch>."""
    config = repo.get_config()
    section = (b"branch", branch.encode())
    config.set(section, b"remote", ORIGIN.encode())
    config.set(section, b"merge", LOCAL_BRANCH_PREFIX + remote_branch.encode())
    config.write_to_path()


def identity(repo: Repo) -> bytes:
    """user.name <user.email> from the repository's own config, else the aiops fallback.

    Only the repository's config counts: the server's ~/.gitconfig belongs to the aiops
    service account, not to the workspace's owner.
    """
    config = repo.get_config()
    try:
        name = config.get((b"user",), b"name")
        email = config.get((b"user",), b"email")
    except KeyError:
        return FALLBACK_IDENTITY
    return name + b" <" + email + b">"


def attached_branch(repo: Repo, operation: str) -> str:
    """The current branch; a detached HEAD cannot be pulled or pushed."""
    branch = current_branch(repo)
    if branch is None:
        raise DomainError(f"cannot {operation}: HEAD is detached; check out a branch first")
    return branch


def remote_branch(repo: Repo, branch: str) -> ObjectID:
    """origin/<branch> as last fetched (BranchMissing when origin has no such branch)."""
    try:
        return repo.refs[Ref(REMOTE_PREFIX + branch.encode())]
    except KeyError:
        raise BranchMissing(
            f"no branch {branch!r} here or on origin (as of the last fetch)"
        ) from None


def origin_url(repo: Repo) -> str | None:
    try:
        url: bytes = repo.get_config().get((b"remote", ORIGIN.encode()), b"url")
    except KeyError:
        return None
    return url.decode()
