"""branches, checkout, create_branch and merge inside one clone, checked with the git CLI."""

from __future__ import annotations

import pytest

from aiops.adapters.git import GitCliWorkspaces
from aiops.domain.model.workspaces import (
    BranchExists,
    BranchMissing,
    DirtyWorkTree,
    MergeConflict,
    MergeKind,
)
from aiops.ports.git_workspaces import WorkTree

from .conftest import Git


def test_branches_lists_local_and_remote_without_origin_head(
    workspaces: GitCliWorkspaces, alice: Git
) -> None:
    alice("branch", "zeta")
    alice("branch", "alpha/one")

    branches = workspaces.branches(WorkTree(alice.path))

    assert branches.current == "main"
    assert branches.local == ("alpha/one", "main", "zeta")
    assert branches.remote == ("origin/feature", "origin/main")
    alice("checkout", "-q", "--detach")
    assert workspaces.branches(WorkTree(alice.path)).current is None


def test_checkout_of_a_local_branch(workspaces: GitCliWorkspaces, alice: Git) -> None:
    alice("checkout", "-q", "-b", "topic")
    alice.commit({"topic.txt": "t\n"}, "Topic")
    alice("checkout", "-q", "main")
    (alice.path / "scratch.txt").write_text("untracked, kept\n")

    workspaces.checkout(WorkTree(alice.path), "topic")

    assert alice("symbolic-ref", "--short", "HEAD").strip() == "topic"
    assert (alice.path / "topic.txt").read_text() == "t\n"
    assert alice.porcelain() == "?? scratch.txt\n"
    workspaces.checkout(WorkTree(alice.path), "main")
    assert not (alice.path / "topic.txt").exists()
    assert alice.porcelain() == "?? scratch.txt\n"
    alice.fsck()


def test_checkout_of_a_remote_only_branch_creates_a_tracking_branch(
    workspaces: GitCliWorkspaces, alice: Git
) -> None:
    workspaces.checkout(WorkTree(alice.path), "feature")

    assert alice("status", "-sb").splitlines() == ["## feature...origin/feature"]
    assert alice.sha("feature") == alice.sha("origin/feature")
    assert (alice.path / "feature.txt").exists()
    assert alice.porcelain() == ""
    alice.fsck()


def test_checkout_of_a_missing_branch(workspaces: GitCliWorkspaces, alice: Git) -> None:
    with pytest.raises(BranchMissing):
        workspaces.checkout(WorkTree(alice.path), "nowhere")
    assert alice("symbolic-ref", "--short", "HEAD").strip() == "main"


def test_checkout_refuses_to_overwrite_changes_and_lists_them(
    workspaces: GitCliWorkspaces, alice: Git
) -> None:
    alice("checkout", "-q", "-b", "topic")
    alice.commit({"README.md": "topic\n", "docs/new.md": "new\n"}, "Topic")
    alice("checkout", "-q", "main")
    (alice.path / "README.md").write_text("unsaved\n")
    (alice.path / "docs").mkdir()
    (alice.path / "docs" / "new.md").write_text("untracked in the way\n")
    (alice.path / "src" / "app.py").write_text("staged, not in the way\n")
    alice("add", "src/app.py")
    before = alice.snapshot()

    with pytest.raises(DirtyWorkTree) as raised:
        workspaces.checkout(WorkTree(alice.path), "topic")

    assert raised.value.files == ("README.md", "docs/new.md")
    assert alice.snapshot() == before


def test_checkout_keeps_changes_it_does_not_touch(workspaces: GitCliWorkspaces, alice: Git) -> None:
    (alice.path / "src" / "app.py").write_text("staged\n")
    alice("add", "src/app.py")
    (alice.path / "README.md").write_text("unstaged\n")

    workspaces.checkout(WorkTree(alice.path), "feature")

    assert alice.porcelain() == " M README.md\nM  src/app.py\n"
    assert (alice.path / "feature.txt").exists()


def test_create_branch_from_head_keeps_the_work_tree(
    workspaces: GitCliWorkspaces, alice: Git
) -> None:
    (alice.path / "README.md").write_text("work in progress\n")

    workspaces.create_branch(WorkTree(alice.path), "topic", None)

    assert alice("symbolic-ref", "--short", "HEAD").strip() == "topic"
    assert alice.sha("topic") == alice.sha("main")
    assert alice.porcelain() == " M README.md\n"


@pytest.mark.parametrize(
    ("base", "upstream"), [("feature", ""), ("origin/feature", "origin/feature")]
)
def test_create_branch_from_a_base(
    workspaces: GitCliWorkspaces, alice: Git, base: str, upstream: str
) -> None:
    alice("branch", "feature", "origin/feature")

    workspaces.create_branch(WorkTree(alice.path), "topic", base)

    assert alice("symbolic-ref", "--short", "HEAD").strip() == "topic"
    assert alice.sha("topic") == alice.sha("origin/feature")
    assert (alice.path / "feature.txt").exists()
    assert alice.porcelain() == ""
    tracked = alice("rev-parse", "--abbrev-ref", "topic@{upstream}", check=False).strip()
    assert tracked == upstream
    alice.fsck()


def test_create_branch_that_exists_or_from_a_missing_base(
    workspaces: GitCliWorkspaces, alice: Git
) -> None:
    with pytest.raises(BranchExists):
        workspaces.create_branch(WorkTree(alice.path), "main", None)
    with pytest.raises(BranchMissing):
        workspaces.create_branch(WorkTree(alice.path), "topic", "origin/nowhere")
    with pytest.raises(BranchMissing):
        workspaces.create_branch(WorkTree(alice.path), "topic", "nowhere")
    assert alice("branch", "--format=%(refname:short)").split() == ["main"]
    assert alice("symbolic-ref", "--short", "HEAD").strip() == "main"


def test_merge_fast_forwards(workspaces: GitCliWorkspaces, alice: Git) -> None:
    outcome = workspaces.merge(WorkTree(alice.path), "origin/feature")

    assert outcome.kind is MergeKind.FAST_FORWARD
    assert outcome.head == alice.sha("HEAD") == alice.sha("origin/feature")
    assert alice.porcelain() == ""
    assert workspaces.merge(WorkTree(alice.path), "origin/feature").kind is MergeKind.UP_TO_DATE
    alice.fsck()


def test_merge_of_diverged_branches_makes_a_merge_commit(
    workspaces: GitCliWorkspaces, alice: Git
) -> None:
    alice("checkout", "-q", "-b", "topic")
    theirs = alice.commit({"src/app.py": "print('v2')\n"}, "Topic")
    alice("checkout", "-q", "main")
    ours = alice.commit({"README.md": "hello, main\n"}, "Main")

    outcome = workspaces.merge(WorkTree(alice.path), "topic")

    assert outcome.kind is MergeKind.MERGE_COMMIT
    assert alice("log", "-1", "--format=%P|%s").strip() == f"{ours} {theirs}|Merge branch 'topic'"
    assert (alice.path / "src" / "app.py").read_text() == "print('v2')\n"
    assert (alice.path / "README.md").read_text() == "hello, main\n"
    assert alice.porcelain() == ""
    alice.fsck()


def test_merge_with_conflicts_changes_nothing(workspaces: GitCliWorkspaces, alice: Git) -> None:
    alice("checkout", "-q", "-b", "topic")
    alice.commit({"README.md": "topic\n", "src/app.py": "topic\n"}, "Topic")
    alice("checkout", "-q", "main")
    alice.commit({"README.md": "main\n", "src/app.py": "main\n"}, "Main")
    (alice.path / "scratch.txt").write_text("untracked\n")
    before = alice.snapshot()

    with pytest.raises(MergeConflict) as raised:
        workspaces.merge(WorkTree(alice.path), "topic")

    assert raised.value.files == ("README.md", "src/app.py")
    assert alice.snapshot() == before
    alice.fsck()


def test_merge_refuses_when_changes_are_in_the_way(
    workspaces: GitCliWorkspaces, alice: Git
) -> None:
    (alice.path / "feature.txt").write_text("untracked, in the way\n")
    before = alice.snapshot()

    with pytest.raises(DirtyWorkTree) as raised:
        workspaces.merge(WorkTree(alice.path), "origin/feature")

    assert raised.value.files == ("feature.txt",)
    assert alice.snapshot() == before


def test_merge_of_a_missing_branch(workspaces: GitCliWorkspaces, alice: Git) -> None:
    with pytest.raises(BranchMissing):
        workspaces.merge(WorkTree(alice.path), "origin/nowhere")
