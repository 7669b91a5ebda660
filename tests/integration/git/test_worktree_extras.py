"""What the issue-to-pull-request loop asks of worktrees, with the real git CLI as a
throwaway account: the commits a worktree has that a base lacks, and a pattern in the
repository's `info/exclude` (written by the account, links refused) that keeps
AGENTS.override.md out of `git status` and `git add -A` in every worktree."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aiops.adapters.git import GitCliWorkspaces
from aiops.adapters.git.worktrees import GitCliWorktrees
from aiops.domain.errors import ValidationError
from aiops.domain.model.workspaces import BranchMissing, UnsafeWorkspace
from aiops.ports.git_workspaces import WorkTree
from aiops.ports.linux_users import LinuxAccount
from tests.accounts import launcher_as_root, needs_root

from .conftest import NO_ACCESS, Git, make_remote, trusting
from .test_as_account import mode

pytestmark = needs_root

PATTERN = "/AGENTS.override.md"


@pytest.fixture
def home(place: Path) -> Path:
    return place / "home"


@pytest.fixture
def worktrees(home: Path) -> GitCliWorktrees:
    return GitCliWorktrees(launcher=launcher_as_root(home))


@pytest.fixture
def main(home: Path, place: Path, account: LinuxAccount, tmp_path: Path) -> WorkTree:
    remote = make_remote(place / "remotes")
    trusting(account, remote, user_name="Ivo", user_email="ivo@example.com")
    tree = WorkTree(home / account.name / "workspace" / "web", account)
    workspaces = GitCliWorkspaces(launcher=launcher_as_root(home), known_hosts=tmp_path / "kh")
    workspaces.clone(str(remote), tree, branch="main", access=NO_ACCESS)
    return tree


@pytest.fixture
def tree(worktrees: GitCliWorktrees, main: WorkTree, home: Path, account: LinuxAccount) -> WorkTree:
    made = WorkTree(home / account.name / "worktrees" / "web" / "aiops-gh-12-fix", account)
    worktrees.add(main, made, branch="aiops/gh-12-fix", start="origin/main")
    return made


def exclude_file(main: WorkTree) -> Path:
    return main.path / ".git" / "info" / "exclude"


def test_commits_ahead_are_the_worktrees_own_newest_first_with_sha_and_subject(
    worktrees: GitCliWorktrees, tree: WorkTree, account: LinuxAccount
) -> None:
    assert worktrees.commits_ahead(tree, "origin/main") == ()
    git = Git(tree.path, account)
    first = git.commit({"a.txt": "a\n"}, "Fix the login (#12)")
    second = git.commit({"b.txt": "b\n"}, "Tidy the form — ünïcode")

    assert worktrees.commits_ahead(tree, "origin/main") == (
        f"{second} Tidy the form — ünïcode",
        f"{first} Fix the login (#12)",
    )
    assert worktrees.commits_ahead(tree, first) == (f"{second} Tidy the form — ünïcode",)


def test_commits_ahead_of_a_base_that_does_not_exist_is_a_clear_refusal(
    worktrees: GitCliWorktrees, tree: WorkTree
) -> None:
    with pytest.raises(BranchMissing, match="origin/nope"):
        worktrees.commits_ahead(tree, "origin/nope")
    with pytest.raises(ValidationError):
        worktrees.commits_ahead(tree, "--all")


def test_an_excluded_agents_file_is_neither_untracked_nor_staged_in_any_worktree(
    worktrees: GitCliWorktrees, main: WorkTree, tree: WorkTree, account: LinuxAccount
) -> None:
    (tree.path / "AGENTS.override.md").write_text("# Issue 12\n")
    (main.path / "AGENTS.override.md").write_text("# Issue 12\n")
    git = Git(tree.path, account)
    assert "AGENTS.override.md" in git.porcelain()

    worktrees.exclude(main, PATTERN)

    assert git.porcelain() == ""
    assert Git(main.path, account).porcelain() == ""
    (tree.path / "fix.py").write_text("print('fixed')\n")
    git("add", "-A")
    assert git("diff", "--cached", "--name-only").split() == ["fix.py"]


def test_exclude_is_idempotent_and_keeps_what_the_user_listed(
    worktrees: GitCliWorktrees, main: WorkTree, account: LinuxAccount
) -> None:
    path = exclude_file(main)
    path.write_text("# mine\n*.log")  # no final newline
    os.chown(path, account.uid, account.gid)

    worktrees.exclude(main, PATTERN)
    worktrees.exclude(main, PATTERN)

    assert path.read_text() == f"# mine\n*.log\n{PATTERN}\n"
    assert path.stat().st_uid == account.uid


def test_exclude_makes_the_info_folder_as_the_account_when_missing(
    worktrees: GitCliWorktrees, main: WorkTree, account: LinuxAccount
) -> None:
    info = exclude_file(main).parent
    for child in info.iterdir():
        child.unlink()
    info.rmdir()

    worktrees.exclude(main, PATTERN)

    assert exclude_file(main).read_text() == f"{PATTERN}\n"
    assert {info.stat().st_uid, exclude_file(main).stat().st_uid} == {account.uid}
    assert mode(info) == 0o755


def test_a_link_in_place_of_the_exclude_file_is_refused_and_its_target_untouched(
    worktrees: GitCliWorktrees, main: WorkTree, account: LinuxAccount, place: Path
) -> None:
    target = place / "elsewhere"
    target.write_text("theirs\n")
    os.chown(target, account.uid, account.gid)
    path = exclude_file(main)
    path.unlink()
    path.symlink_to(target)
    os.lchown(path, account.uid, account.gid)

    with pytest.raises(UnsafeWorkspace, match="symbolic link"):
        worktrees.exclude(main, PATTERN)

    assert target.read_text() == "theirs\n"
    assert path.is_symlink()


def test_a_link_in_place_of_the_info_folder_is_refused(
    worktrees: GitCliWorktrees, main: WorkTree, account: LinuxAccount, place: Path
) -> None:
    elsewhere = place / "info-elsewhere"
    elsewhere.mkdir()
    os.chown(elsewhere, account.uid, account.gid)
    info = exclude_file(main).parent
    for child in info.iterdir():
        child.unlink()
    info.rmdir()
    info.symlink_to(elsewhere)
    os.lchown(info, account.uid, account.gid)

    with pytest.raises(UnsafeWorkspace, match="symbolic link"):
        worktrees.exclude(main, PATTERN)

    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("pattern", ["", "  ", "a\nb", "a\rb", "x\x00"])
def test_a_pattern_that_is_not_one_line_is_refused(
    worktrees: GitCliWorktrees, main: WorkTree, pattern: str
) -> None:
    before = exclude_file(main).read_bytes()
    with pytest.raises(ValidationError):
        worktrees.exclude(main, pattern)
    assert exclude_file(main).read_bytes() == before
