"""clone and origin against a bare repository on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiops.adapters.git import DulwichGitWorkspaces
from aiops.domain.errors import ValidationError
from aiops.domain.model.workspaces import RemoteFailed, WorkspaceExists

from .conftest import NO_ACCESS, Git


@pytest.mark.parametrize("scheme", ["", "file://"])
def test_clone_checks_out_the_branch_with_its_upstream(
    workspaces: DulwichGitWorkspaces, remote: Path, tmp_path: Path, scheme: str
) -> None:
    target = tmp_path / "home" / "alice" / "workspace" / "web"

    workspaces.clone(f"{scheme}{remote}", target, branch="feature", access=NO_ACCESS)

    git = Git(target)
    assert git("status", "-sb").splitlines() == ["## feature...origin/feature"]
    assert git.sha("HEAD") == Git(remote).sha("feature")
    assert git("config", "branch.feature.merge").strip() == "refs/heads/feature"
    assert sorted(git("branch", "-r", "--format=%(refname:short)").split()) == [
        "origin/HEAD",
        "origin/feature",
        "origin/main",
    ]
    assert (target / "feature.txt").read_text() == "feature\n"
    assert git.porcelain() == ""
    git.fsck()
    assert workspaces.origin(target) == f"{scheme}{remote}"


def test_clone_falls_back_to_the_remote_default_branch(
    workspaces: DulwichGitWorkspaces, remote: Path, tmp_path: Path
) -> None:
    target = tmp_path / "web"

    workspaces.clone(str(remote), target, branch="no-such-branch", access=NO_ACCESS)

    git = Git(target)
    assert git("status", "-sb").splitlines() == ["## main...origin/main"]
    assert git("rev-parse", "--abbrev-ref", "origin/HEAD").strip() == "origin/main"
    git.fsck()


def test_clone_of_an_empty_repository_leaves_an_unborn_branch(
    workspaces: DulwichGitWorkspaces, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.git"
    Git(tmp_path)("init", "-q", "--bare", "-b", "trunk", str(empty))

    workspaces.clone(str(empty), tmp_path / "web", branch="main", access=NO_ACCESS)

    status = workspaces.status(tmp_path / "web")
    assert status.last_commit is None
    assert status.clean


def test_clone_of_a_missing_repository_fails_and_leaves_nothing(
    workspaces: DulwichGitWorkspaces, tmp_path: Path
) -> None:
    target = tmp_path / "home" / "alice" / "web"

    with pytest.raises(RemoteFailed, match="does not exist"):
        workspaces.clone(str(tmp_path / "missing.git"), target, branch="main", access=NO_ACCESS)

    assert not (tmp_path / "home").exists()


def test_clone_into_an_existing_folder_is_refused_and_keeps_it(
    workspaces: DulwichGitWorkspaces, remote: Path, tmp_path: Path
) -> None:
    target = tmp_path / "web"
    target.mkdir()
    (target / "notes.txt").write_text("mine")

    with pytest.raises(WorkspaceExists):
        workspaces.clone(str(remote), target, branch="main", access=NO_ACCESS)

    assert (target / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("url", ["-oProxyCommand=touch /tmp/pwned", "--upload-pack=evil"])
def test_clone_refuses_a_url_that_looks_like_an_option(
    workspaces: DulwichGitWorkspaces, tmp_path: Path, url: str
) -> None:
    with pytest.raises(RemoteFailed):
        workspaces.clone(url, tmp_path / "web", branch="main", access=NO_ACCESS)
    assert not (tmp_path / "web").exists()


def test_clone_validates_the_branch_before_touching_the_disk(
    workspaces: DulwichGitWorkspaces, remote: Path, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError):
        workspaces.clone(str(remote), tmp_path / "web", branch="-x", access=NO_ACCESS)
    assert not (tmp_path / "web").exists()


def test_origin_is_none_outside_a_work_tree(
    workspaces: DulwichGitWorkspaces, tmp_path: Path, alice: Git, remote: Path
) -> None:
    assert workspaces.origin(alice.path) == str(remote)
    assert workspaces.origin(tmp_path / "missing") is None
    assert workspaces.origin(tmp_path) is None
