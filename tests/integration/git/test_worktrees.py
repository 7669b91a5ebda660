"""Worktrees with the real git CLI, as a throwaway account through the launcher: made private
to the account outside the main workspace, what removing one would lose, and removal that
keeps the branch."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiops.adapters.git import GitCliWorkspaces
from aiops.adapters.git.worktrees import GitCliWorktrees
from aiops.domain.errors import Conflict
from aiops.domain.model.workspaces import BranchExists, BranchMissing, UnsafeWorkspace
from aiops.domain.model.worktrees import WorktreeExists, issue_branch
from aiops.ports.git_workspaces import WorkTree
from aiops.ports.linux_users import LinuxAccount
from tests.accounts import launcher_as_root, needs_root

from .conftest import NO_ACCESS, Git, make_remote, trusting
from .test_as_account import mode, owners

pytestmark = needs_root


@pytest.fixture
def home(place: Path) -> Path:
    return place / "home"


@pytest.fixture
def workspaces(home: Path, tmp_path: Path) -> GitCliWorkspaces:
    return GitCliWorkspaces(launcher=launcher_as_root(home), known_hosts=tmp_path / "kh")


@pytest.fixture
def worktrees(home: Path) -> GitCliWorktrees:
    return GitCliWorktrees(launcher=launcher_as_root(home))


@pytest.fixture
def main(workspaces: GitCliWorkspaces, home: Path, place: Path, account: LinuxAccount) -> WorkTree:
    """The account's main workspace of `web`, cloned from a remote it may read."""
    remote = make_remote(place / "remotes")
    trusting(account, remote, user_name="Ivo", user_email="ivo@example.com")
    tree = WorkTree(home / account.name / "workspace" / "web", account)
    workspaces.clone(str(remote), tree, branch="main", access=NO_ACCESS)
    return tree


def tree_for(home: Path, account: LinuxAccount, branch: str) -> WorkTree:
    return WorkTree(home / account.name / "worktrees" / "web" / branch.replace("/", "-"), account)


def test_a_worktree_is_the_accounts_own_on_its_branch_and_leaves_the_workspace_clean(
    worktrees: GitCliWorktrees,
    workspaces: GitCliWorkspaces,
    main: WorkTree,
    home: Path,
    account: LinuxAccount,
) -> None:
    tree = tree_for(home, account, "aiops/gh-12-fix-login")

    worktrees.add(main, tree, branch="aiops/gh-12-fix-login", start="origin/main")

    folder = home / account.name / "worktrees"
    assert owners(folder) == {account.uid}
    assert (mode(folder), mode(folder / "web")) == (0o700, 0o700)
    status = workspaces.status(tree)
    assert (status.branch, status.upstream, status.clean) == ("aiops/gh-12-fix-login", None, True)
    assert workspaces.status(main).clean
    assert Git(tree.path, account)("rev-parse", "HEAD") == Git(main.path, account)(
        "rev-parse", "origin/main"
    )
    assert Git(main.path, account).porcelain() == ""


def test_two_worktrees_of_one_workspace_work_at_once(
    worktrees: GitCliWorktrees, workspaces: GitCliWorkspaces, main: WorkTree, home: Path,
    account: LinuxAccount,
) -> None:  # fmt: skip
    one, two = tree_for(home, account, "one"), tree_for(home, account, "two")
    worktrees.add(main, one, branch="one", start="origin/main")
    worktrees.add(main, two, branch="two", start="origin/feature")

    Git(one.path, account).commit({"one.txt": "1\n"}, "One")
    (two.path / "two.txt").write_text("2\n")

    assert workspaces.status(one).ahead == 0  # tracks nothing
    assert worktrees.losses(one).commits[0].endswith(" One")
    assert worktrees.losses(two).files == ("two.txt",)
    assert (two.path / "feature.txt").exists()
    assert not (one.path / "feature.txt").exists()


def test_losses_name_uncommitted_files_and_commits_on_no_remote_branch(
    worktrees: GitCliWorktrees, main: WorkTree, home: Path, account: LinuxAccount
) -> None:
    tree = tree_for(home, account, "task")
    worktrees.add(main, tree, branch="task", start="origin/main")
    git = Git(tree.path, account)
    assert not worktrees.losses(tree)

    git.commit({"a.txt": "a\n"}, "Add a")
    (tree.path / "README.md").write_text("changed\n")
    (tree.path / "new.txt").write_text("new\n")
    losses = worktrees.losses(tree)

    assert losses.files == ("README.md", "new.txt")
    assert [c.split(" ", 1)[1] for c in losses.commits] == ["Add a"]


def test_remove_keeps_the_branch_and_refuses_dirty_work_unless_forced(
    worktrees: GitCliWorktrees, main: WorkTree, home: Path, account: LinuxAccount
) -> None:
    tree = tree_for(home, account, "task")
    worktrees.add(main, tree, branch="task", start="origin/main")
    (tree.path / "README.md").write_text("changed\n")

    with pytest.raises(Exception, match="worktree remove"):
        worktrees.remove(main, tree, force=False)
    assert (tree.path / "README.md").read_text() == "changed\n"

    worktrees.remove(main, tree, force=True)

    assert not tree.path.exists()
    git = Git(main.path, account)
    assert "task" in git("branch", "--list", "task")
    assert str(tree.path) not in git("worktree", "list", "--porcelain")
    worktrees.add(main, tree, branch="task", start=None)  # the kept branch, again
    assert Git(tree.path, account)("symbolic-ref", "--short", "HEAD").strip() == "task"


def test_a_worktree_whose_folder_went_is_pruned(
    worktrees: GitCliWorktrees, main: WorkTree, home: Path, account: LinuxAccount
) -> None:
    tree = tree_for(home, account, "task")
    worktrees.add(main, tree, branch="task", start="origin/main")
    subprocess.run(["rm", "-rf", str(tree.path)], check=True)

    assert not worktrees.losses(tree)
    worktrees.remove(main, tree, force=False)

    assert str(tree.path) not in Git(main.path, account)("worktree", "list", "--porcelain")


def test_refusals_leave_nothing_behind(
    worktrees: GitCliWorktrees, main: WorkTree, home: Path, account: LinuxAccount
) -> None:
    tree = tree_for(home, account, "task")
    with pytest.raises(BranchMissing, match="nope"):
        worktrees.add(main, tree, branch="task", start="nope")
    with pytest.raises(BranchExists):
        worktrees.add(main, tree, branch="main", start="origin/main")
    with pytest.raises(Conflict, match="checked out in another work tree"):
        worktrees.add(main, tree_for(home, account, "main"), branch="main", start=None)
    worktrees.add(main, tree, branch="task", start="origin/main")
    with pytest.raises(WorktreeExists):
        worktrees.add(main, tree, branch="task2", start="origin/main")

    git = Git(main.path, account)
    assert git("branch", "--list", "--format=%(refname:short)").split() == ["main", "task"]
    assert sorted(p.name for p in tree.path.parent.iterdir()) == ["task"]


def test_a_link_in_place_of_the_worktrees_folder_is_refused(
    worktrees: GitCliWorktrees, main: WorkTree, home: Path, account: LinuxAccount, place: Path
) -> None:
    elsewhere = place / "elsewhere"
    elsewhere.mkdir()
    os.chown(elsewhere, account.uid, account.gid)
    link = home / account.name / "worktrees"
    link.symlink_to(elsewhere)
    os.lchown(link, account.uid, account.gid)

    with pytest.raises(UnsafeWorkspace):
        worktrees.add(main, tree_for(home, account, "task"), branch="task", start="origin/main")

    assert list(elsewhere.iterdir()) == []


@settings(max_examples=40, deadline=None)
@given(
    provider=st.sampled_from(["github", "gitlab", "jira"]),
    number=st.text(max_size=20),
    title=st.text(max_size=80),
)
def test_git_itself_accepts_every_issue_branch(provider: str, number: str, title: str) -> None:
    branch = issue_branch(provider, number, title)
    done = subprocess.run(
        ["git", "check-ref-format", "--branch", branch], capture_output=True, check=False
    )
    assert done.returncode == 0, branch


def test_a_fetch_in_the_main_workspace_moves_every_worktrees_remote_branches(
    worktrees: GitCliWorktrees,
    workspaces: GitCliWorkspaces,
    main: WorkTree,
    home: Path,
    account: LinuxAccount,
    place: Path,
) -> None:
    tree = tree_for(home, account, "task")
    worktrees.add(main, tree, branch="task", start="origin/main")
    remote = place / "remotes" / "remote.git"
    pusher = Git(place / "remotes" / "seed")
    pushed = pusher.commit({"new.txt": "n\n"}, "Upstream work")
    pusher("push", "-q", "origin", "HEAD:refs/heads/main")

    workspaces.fetch(main, NO_ACCESS)  # what the scheduler's workspace-fetch job does

    assert Git(tree.path, account).sha("origin/main") == pushed == Git(remote).sha("main")
    assert Git(tree.path, account).porcelain() == ""  # the worktree's own tree is untouched
    assert workspaces.status(tree).branch == "task"
