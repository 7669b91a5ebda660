"""Clone and fetch of the generated large repository (bench/large_repo.py: 50,000 commits,
5,000 files, 600 tags, 21,000 `refs/pull/N/head`, 2,000 of them on objects the repository
lacks) over `git daemon`, `git http-backend` and the tests' private sshd on 127.0.0.1,
through the real adapter.

What a user gets is the branches and tags, complete, and nothing a pull ref alone reaches: no
`refs/pull/*` ref, no pull request's commit. The repository is generated once and cached
(docs/testing.md); each clone takes a few seconds, so these run beside the parallel suite."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiops.adapters.git import GitCliWorkspaces
from aiops.adapters.git.credentials import Credentials
from aiops.adapters.git.worktrees import GitCliWorktrees
from aiops.domain.errors import DomainError
from aiops.domain.model.projects import CloneFilter
from aiops.domain.model.workspaces import CloneShape, RemoteAccess
from aiops.ports.git_workspaces import WorkTree
from tests.accounts import launcher_as_root
from tests.large_repo import large

from .conftest import GIT_ENV, NO_ACCESS, Git
from .test_ssh import Sshd, sshd  # noqa: F401 - the private sshd fixture, shared

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("large-repository")]


@pytest.fixture(scope="module")
def repository() -> Path:
    return Path(large.large_repo())


@pytest.fixture(scope="module")
def published(repository: Path) -> set[str]:
    """Every object the branches and tags reach: what a complete clone holds, exactly."""
    return _objects(repository, "--branches", "--tags")


@pytest.fixture(params=["git-daemon", "http-backend", "sshd"])
def served(
    request: pytest.FixtureRequest, repository: Path, tmp_path: Path
) -> Iterator[tuple[str, RemoteAccess]]:
    """The repository's URL on one of the servers, and how to reach it (the sshd: its key,
    and its host key in the known_hosts of the `workspaces` fixture)."""
    if request.param == "sshd":
        server: Sshd = request.getfixturevalue("sshd")
        (tmp_path / "known_hosts").write_text(server.known_hosts_line() + "\n")
        yield server.url(repository), RemoteAccess(ssh_key_path=str(server.client_key))
        return
    serve = large.git_daemon if request.param == "git-daemon" else large.http_backend
    with serve(repository) as url:
        yield url, NO_ACCESS


def _objects(repo: Path, *revisions: str) -> set[str]:
    listed = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--objects", *revisions],
        capture_output=True,
        text=True,
        check=True,
        env=GIT_ENV,
    ).stdout
    return {line[:40] for line in listed.splitlines()}


def _present(repo: Path, shas: list[str]) -> list[str]:
    checked = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch-check=%(objectname)"],
        input="\n".join(shas) + "\n",
        capture_output=True,
        text=True,
        check=True,
        env=GIT_ENV,
    ).stdout
    return [line for line in checked.splitlines() if not line.endswith(" missing")]


def _refs(repo: Path, *patterns: str) -> list[str]:
    return Git(repo)("for-each-ref", "--format=%(refname)", *patterns).split()


def test_a_clone_holds_every_branch_and_tag_complete_and_nothing_only_pull_refs_reach(
    workspaces: GitCliWorkspaces,
    repository: Path,
    published: set[str],
    served: tuple[str, RemoteAccess],
    target: Path,
) -> None:
    url, access = served
    workspaces.clone(url, WorkTree(target), branch="main", access=access)

    clone = Git(target)
    assert _refs(target, "refs/pull") == []
    assert len(_refs(target, "refs/remotes/origin")) == 1 + 51  # HEAD, main, 50 features
    assert len(_refs(target, "refs/tags")) == 600
    assert _present(target, large.pull_commits(repository)) == []
    assert _objects(target, "--all") == published
    assert clone("fsck", "--connectivity-only", "--no-dangling") == ""
    assert clone.porcelain() == ""
    assert len(clone("ls-files").splitlines()) == 5_001
    assert workspaces.status(WorkTree(target)).branch == "main"


def test_a_fetch_takes_the_new_commit_and_tag_and_leaves_new_pull_requests(
    workspaces: GitCliWorkspaces, repository: Path, tmp_path: Path, target: Path
) -> None:
    served = large.overlay(repository, tmp_path / "served" / "repo.git")
    with large.git_daemon(served) as url:
        workspaces.clone(url, WorkTree(target), branch="main", access=NO_ACCESS)
        new = large.add_commit(served, "refs/heads/main", "fresh.txt")
        Git(served)("tag", "v-fresh", new)
        pull = large.add_commit(served, "refs/pull/1/head", "pull.txt")

        workspaces.fetch(WorkTree(target), NO_ACCESS)

    clone = Git(target)
    assert clone.sha("origin/main") == new
    assert clone.sha("v-fresh") == new
    assert _refs(target, "refs/pull") == []
    assert _present(target, [pull, *large.pull_commits(repository)]) == []
    assert workspaces.status(WorkTree(target)).behind == 1


def _missing(repo: Path) -> list[str]:
    """The objects the branches reach that the clone does not hold (a partial clone's)."""
    listed = Git(repo)("rev-list", "--objects", "--all", "--missing=print")
    return [line[1:] for line in listed.splitlines() if line.startswith("?")]


def test_a_partial_clone_checks_out_complete_and_fetches_later_blobs_with_the_projects_access(
    workspaces: GitCliWorkspaces,
    repository: Path,
    served: tuple[str, RemoteAccess],
    target: Path,
    tmp_path: Path,
) -> None:
    url, access = served
    partial = CloneShape(filter=CloneFilter.BLOB_NONE)
    workspaces.clone(url, WorkTree(target), branch="main", access=access, shape=partial)

    clone = Git(target)
    assert clone("config", "--get", "remote.origin.promisor").strip() == "true"
    assert len(_missing(target)) > 40_000  # the 50,000 older revisions stay on the server
    assert len(clone("ls-files").splitlines()) == 5_001
    assert clone.porcelain() == ""
    assert _refs(target, "refs/pull") == []

    # feature/07's own file is a blob the clone lacks: git fetches it from origin, over
    # sshd with the project's key (the account's own ssh does not know the host).
    if access.ssh_key_path is not None:
        with pytest.raises(DomainError):
            workspaces.checkout(WorkTree(target), "feature/07")
        assert workspaces.status(WorkTree(target)).branch == "main"
        assert clone.porcelain() == ""
    workspaces.checkout(WorkTree(target), "feature/07", access)

    assert workspaces.status(WorkTree(target)).branch == "feature/07"
    assert (target / "features" / "f07.txt").read_text() == "feature 7 step 2\n"
    assert clone.porcelain() == ""

    # A worktree on feature/08 needs its file's blob too: same rule, same credentials.
    worktrees = GitCliWorktrees(
        launcher=launcher_as_root(tmp_path / "home"),
        credentials=Credentials(
            launcher=launcher_as_root(tmp_path / "home"),
            known_hosts=tmp_path / "known_hosts",
            accept_new_host_keys=False,
        ),
    )
    task = WorkTree(tmp_path / "home" / "alice" / "worktrees" / "web" / "task")
    if access.ssh_key_path is not None:
        with pytest.raises(DomainError):
            worktrees.add(WorkTree(target), task, branch="task", start="origin/feature/08")
        assert not task.path.exists()
        assert "task" not in clone("branch", "--list", "task")
    worktrees.add(WorkTree(target), task, branch="task", start="origin/feature/08", access=access)

    assert (task.path / "features" / "f08.txt").read_text() == "feature 8 step 2\n"
    assert Git(task.path).porcelain() == ""


def test_a_shallow_clone_takes_the_newest_commit_of_every_branch_and_fetches_on_top(
    workspaces: GitCliWorkspaces, repository: Path, tmp_path: Path, target: Path
) -> None:
    served = large.overlay(repository, tmp_path / "served" / "repo.git")
    with large.git_daemon(served) as url:
        shallow = CloneShape(depth=1)
        workspaces.clone(url, WorkTree(target), branch="main", access=NO_ACCESS, shape=shallow)
        clone = Git(target)
        assert clone("rev-list", "--count", "HEAD").strip() == "1"
        assert (target / ".git" / "shallow").is_file()
        assert len(_refs(target, "refs/remotes/origin")) == 1 + 51  # every branch still
        assert _refs(target, "refs/pull") == []
        new = large.add_commit(served, "refs/heads/main", "fresh.txt")

        workspaces.fetch(WorkTree(target), NO_ACCESS)

    assert clone.sha("origin/main") == new
    assert clone("rev-list", "--count", "origin/main").strip() == "2"
    assert workspaces.status(WorkTree(target)).behind == 1
