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
from aiops.domain.model.workspaces import RemoteAccess
from aiops.ports.git_workspaces import WorkTree
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
