"""clone and origin against a bare repository on disk, into `<root>/alice/workspace/web`."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from aiops.adapters.git import GitCliWorkspaces
from aiops.domain.errors import ValidationError
from aiops.domain.model.workspaces import RemoteFailed, UnsafeWorkspace, WorkspaceExists
from aiops.ports.git_workspaces import WorkTree

from .conftest import NO_ACCESS, Git


@pytest.mark.parametrize("scheme", ["", "file://"])
def test_clone_checks_out_the_branch_with_its_upstream(
    workspaces: GitCliWorkspaces, remote: Path, target: Path, scheme: str
) -> None:
    workspaces.clone(f"{scheme}{remote}", WorkTree(target), branch="feature", access=NO_ACCESS)

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
    assert workspaces.origin(WorkTree(target)) == f"{scheme}{remote}"


def test_clone_falls_back_to_the_remote_default_branch(
    workspaces: GitCliWorkspaces, remote: Path, target: Path
) -> None:
    workspaces.clone(str(remote), WorkTree(target), branch="no-such-branch", access=NO_ACCESS)

    git = Git(target)
    assert git("status", "-sb").splitlines() == ["## main...origin/main"]
    assert git("rev-parse", "--abbrev-ref", "origin/HEAD").strip() == "origin/main"
    git.fsck()


def test_clone_of_an_empty_repository_leaves_an_unborn_branch(
    workspaces: GitCliWorkspaces, tmp_path: Path, target: Path
) -> None:
    empty = tmp_path / "empty.git"
    Git(tmp_path)("init", "-q", "--bare", "-b", "trunk", str(empty))

    workspaces.clone(str(empty), WorkTree(target), branch="main", access=NO_ACCESS)

    status = workspaces.status(WorkTree(target))
    assert status.last_commit is None
    assert status.clean


def test_clone_of_a_missing_repository_fails_and_leaves_nothing(
    workspaces: GitCliWorkspaces, tmp_path: Path, target: Path
) -> None:
    missing = str(tmp_path / "missing.git")
    with pytest.raises(RemoteFailed, match="does not exist"):
        workspaces.clone(missing, WorkTree(target), branch="main", access=NO_ACCESS)

    assert not target.exists()  # its folders stay: the account's own, private


def test_clone_into_an_existing_folder_is_refused_and_keeps_it(
    workspaces: GitCliWorkspaces, remote: Path, target: Path
) -> None:
    target.mkdir(parents=True)
    (target / "notes.txt").write_text("mine")

    with pytest.raises(WorkspaceExists):
        workspaces.clone(str(remote), WorkTree(target), branch="main", access=NO_ACCESS)

    assert (target / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("url", ["-oProxyCommand=touch /tmp/pwned", "--upload-pack=evil"])
def test_clone_refuses_a_url_that_looks_like_an_option(
    workspaces: GitCliWorkspaces, target: Path, url: str
) -> None:
    with pytest.raises(RemoteFailed):
        workspaces.clone(url, WorkTree(target), branch="main", access=NO_ACCESS)
    assert not target.exists()


def test_clone_validates_the_branch_before_touching_the_disk(
    workspaces: GitCliWorkspaces, remote: Path, target: Path
) -> None:
    with pytest.raises(ValidationError):
        workspaces.clone(str(remote), WorkTree(target), branch="-x", access=NO_ACCESS)
    assert not target.parent.parent.exists()


def test_clone_makes_the_workspace_folders_private_and_tightens_a_loose_one(
    workspaces: GitCliWorkspaces, remote: Path, target: Path
) -> None:
    target.parent.mkdir(parents=True, mode=0o755)
    target.parent.chmod(0o755)

    workspaces.clone(str(remote), WorkTree(target), branch="main", access=NO_ACCESS)

    assert stat.S_IMODE(target.parent.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    assert Git(target).porcelain() == ""


def test_a_clone_outside_the_workspace_root_is_refused(
    workspaces: GitCliWorkspaces, remote: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere" / "alice" / "workspace" / "web"

    with pytest.raises(UnsafeWorkspace, match="is not in"):
        workspaces.clone(str(remote), WorkTree(elsewhere), branch="main", access=NO_ACCESS)

    assert not elsewhere.parent.exists()


def test_origin_is_none_outside_a_work_tree(
    workspaces: GitCliWorkspaces, tmp_path: Path, alice: Git, remote: Path
) -> None:
    assert workspaces.origin(WorkTree(alice.path)) == str(remote)
    assert workspaces.origin(WorkTree(tmp_path / "missing")) is None
    assert workspaces.origin(WorkTree(tmp_path)) is None


def test_a_fresh_clones_index_is_written_after_its_files_second(
    workspaces: GitCliWorkspaces, remote: Path, target: Path
) -> None:
    """Else git takes every entry for racily clean and rehashes the tree on each status."""
    workspaces.clone(str(remote), WorkTree(target), branch="main", access=NO_ACCESS)

    files = [p for p in target.rglob("*") if p.is_file() and ".git" not in p.parts]
    index = (target / ".git" / "index").stat().st_mtime
    assert int(index) > max(int(p.stat().st_mtime) for p in files)
