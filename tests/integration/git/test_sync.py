"""fetch, pull and push between two clones of one bare remote, checked with the git CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiops.adapters.git import GitCliWorkspaces
from aiops.domain.errors import DomainError
from aiops.domain.model.workspaces import (
    DirtyWorkTree,
    MergeConflict,
    MergeKind,
    PushRejected,
    RemoteAccess,
    RemoteFailed,
)
from aiops.ports.git_workspaces import WorkTree

from .conftest import NO_ACCESS, Git, make_remote


def test_fetch_updates_remote_tracking_branches_only(
    workspaces: GitCliWorkspaces, alice: Git, bob: Git
) -> None:
    new = bob.commit({"bob.txt": "hi\n"}, "Bob's change")
    bob("push", "-q")
    bob("push", "-q", "origin", "HEAD:refs/heads/bobs-branch")
    head = alice.sha("HEAD")

    workspaces.fetch(WorkTree(alice.path), NO_ACCESS)

    assert alice.sha("origin/main") == new
    assert alice.sha("origin/bobs-branch") == new
    assert alice.sha("HEAD") == head
    assert alice.porcelain() == ""
    assert workspaces.status(WorkTree(alice.path)).behind == 1
    alice.fsck()


def test_fetch_from_a_vanished_remote_is_remote_failed(
    workspaces: GitCliWorkspaces, alice: Git, tmp_path: Path
) -> None:
    alice("remote", "set-url", "origin", str(tmp_path / "gone.git"))

    with pytest.raises(RemoteFailed, match="does not exist"):
        workspaces.fetch(WorkTree(alice.path), NO_ACCESS)


def test_pull_is_up_to_date_when_nothing_changed(workspaces: GitCliWorkspaces, alice: Git) -> None:
    outcome = workspaces.pull(WorkTree(alice.path), NO_ACCESS)

    assert outcome.kind is MergeKind.UP_TO_DATE
    assert outcome.head == alice.sha("HEAD")


def test_pull_fast_forwards_and_keeps_unrelated_local_changes(
    workspaces: GitCliWorkspaces, alice: Git, bob: Git
) -> None:
    bob("rm", "-q", "src/app.py")
    bob.commit({"docs/guide.md": "guide\n", "README.md": "hello again\n"}, "Bob's docs")
    bob("push", "-q")
    (alice.path / "scratch.txt").write_text("untracked, kept\n")

    outcome = workspaces.pull(WorkTree(alice.path), NO_ACCESS)

    assert outcome.kind is MergeKind.FAST_FORWARD
    assert outcome.head == alice.sha("HEAD") == bob.sha("HEAD")
    assert (alice.path / "docs" / "guide.md").read_text() == "guide\n"
    assert not (alice.path / "src" / "app.py").exists()
    assert alice.porcelain() == "?? scratch.txt\n"
    assert alice("status", "-sb").startswith("## main...origin/main\n")
    alice.fsck()


def test_pull_merges_diverged_history_with_a_merge_commit(
    workspaces: GitCliWorkspaces, alice: Git, bob: Git
) -> None:
    theirs = bob.commit({"bob.txt": "bob\n"}, "Bob's change")
    bob("push", "-q")
    ours = alice.commit({"alice.txt": "alice\n"}, "Alice's change")

    outcome = workspaces.pull(WorkTree(alice.path), NO_ACCESS)

    assert outcome.kind is MergeKind.MERGE_COMMIT
    assert outcome.head == alice.sha("HEAD")
    assert alice("log", "-1", "--format=%P").split() == [ours, theirs]
    assert alice("log", "-1", "--format=%s|%an <%ae>").strip() == (
        "Merge remote-tracking branch 'origin/main'|Alice <alice@example.com>"
    )
    assert alice.porcelain() == ""
    assert (alice.path / "bob.txt").read_text() == "bob\n"
    assert (alice.path / "alice.txt").read_text() == "alice\n"
    assert workspaces.status(WorkTree(alice.path)).ahead == 2
    alice.fsck()


def test_pull_with_a_conflict_changes_nothing(
    workspaces: GitCliWorkspaces, alice: Git, bob: Git
) -> None:
    bob.commit({"README.md": "bob's line\n", "bob.txt": "clean\n"}, "Bob edits README")
    bob("push", "-q")
    alice.commit({"README.md": "alice's line\n"}, "Alice edits README")
    (alice.path / "scratch.txt").write_text("untracked\n")
    before = alice.snapshot()
    head = alice.sha("HEAD")

    with pytest.raises(MergeConflict) as raised:
        workspaces.pull(WorkTree(alice.path), NO_ACCESS)

    assert raised.value.files == ("README.md",)
    assert alice.snapshot() == before
    assert alice.sha("HEAD") == head
    assert not (alice.path / ".git" / "MERGE_HEAD").exists()
    assert alice.sha("origin/main") == bob.sha("HEAD")  # the fetch itself happened
    alice.fsck()


def test_pull_refuses_when_local_changes_would_be_overwritten(
    workspaces: GitCliWorkspaces, alice: Git, bob: Git
) -> None:
    bob.commit({"README.md": "bob\n", "new.txt": "bob's new file\n"}, "Bob")
    bob("push", "-q")
    (alice.path / "README.md").write_text("alice's unsaved work\n")
    (alice.path / "new.txt").write_text("alice's untracked file\n")
    before = alice.snapshot()

    with pytest.raises(DirtyWorkTree) as raised:
        workspaces.pull(WorkTree(alice.path), NO_ACCESS)

    assert raised.value.files == ("README.md", "new.txt")
    assert "README.md, new.txt" in raised.value.message
    assert alice.snapshot() == before


def test_push_sends_the_branch_and_reports_up_to_date_afterwards(
    workspaces: GitCliWorkspaces, alice: Git, remote: Path
) -> None:
    new = alice.commit({"alice.txt": "hi\n"}, "Alice's change")

    first = workspaces.push(WorkTree(alice.path), NO_ACCESS)
    second = workspaces.push(WorkTree(alice.path), NO_ACCESS)

    assert (first.branch, first.remote_ref, first.head, first.up_to_date) == (
        "main",
        "refs/heads/main",
        new,
        False,
    )
    assert second.up_to_date
    assert Git(remote).sha("main") == new
    assert alice.sha("origin/main") == new
    assert alice("status", "-sb").splitlines() == ["## main...origin/main"]
    Git(remote).fsck()


def test_push_of_a_new_branch_sets_its_upstream(
    workspaces: GitCliWorkspaces, alice: Git, remote: Path
) -> None:
    alice("checkout", "-q", "-b", "topic")
    new = alice.commit({"topic.txt": "t\n"}, "Topic")

    workspaces.push(WorkTree(alice.path), NO_ACCESS)

    assert Git(remote).sha("topic") == new
    assert alice("rev-parse", "--abbrev-ref", "topic@{upstream}").strip() == "origin/topic"
    assert workspaces.status(WorkTree(alice.path)).upstream == "origin/topic"


def test_push_after_someone_else_pushed_is_rejected(
    workspaces: GitCliWorkspaces, alice: Git, bob: Git, remote: Path
) -> None:
    theirs = bob.commit({"bob.txt": "bob\n"}, "Bob")
    bob("push", "-q")
    ours = alice.commit({"alice.txt": "alice\n"}, "Alice")

    with pytest.raises(PushRejected, match="fetch and pull first"):
        workspaces.push(WorkTree(alice.path), NO_ACCESS)

    assert Git(remote).sha("main") == theirs
    assert alice.sha("HEAD") == ours
    Git(remote).fsck()


def test_push_from_a_detached_head_is_refused(
    workspaces: GitCliWorkspaces, alice: Git, remote: Path
) -> None:
    alice("checkout", "-q", "--detach")
    before = Git(remote)("show-ref")

    with pytest.raises(DomainError, match="detached"):
        workspaces.push(WorkTree(alice.path), NO_ACCESS)
    with pytest.raises(DomainError, match="detached"):
        workspaces.pull(WorkTree(alice.path), NO_ACCESS)

    assert Git(remote)("show-ref") == before


def test_a_rewritten_origin_is_refused_when_the_projects_url_is_given(
    workspaces: GitCliWorkspaces, remote: Path, tmp_path: Path, target: Path
) -> None:
    """A user who points origin elsewhere cannot borrow the project's credentials for it."""
    elsewhere = make_remote(tmp_path / "elsewhere")
    path = target
    workspaces.clone(str(remote), WorkTree(path), branch="main", access=NO_ACCESS)
    Git(path)("remote", "set-url", "origin", str(elsewhere))
    refs = Git(path)("show-ref")
    project = RemoteAccess(url=str(remote))

    with pytest.raises(RemoteFailed, match="not the project's remote"):
        workspaces.fetch(WorkTree(path), project)
    with pytest.raises(RemoteFailed, match="not the project's remote"):
        workspaces.push(WorkTree(path), project)

    assert Git(path)("show-ref") == refs
    assert Git(elsewhere)("show-ref") == Git(tmp_path / "elsewhere" / "seed")("show-ref", "--heads")
