"""status against `git status --porcelain=v2`: the numbers must agree with git's own."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from aiops.adapters.git import GitCliWorkspaces
from aiops.domain.model.workspaces import WorkspaceMissing, WorkspaceStatus
from aiops.ports.git_workspaces import WorkTree

from .conftest import Git


def git_counts(git: Git) -> tuple[int, int, int, int]:
    """(staged, unstaged, untracked, conflicted) as counted from git's own porcelain v2."""
    staged = unstaged = untracked = conflicted = 0
    for line in git("status", "--porcelain=v2", "--untracked-files=normal").splitlines():
        kind, _, rest = line.partition(" ")
        if kind in ("1", "2"):
            staged += rest[0] != "."
            unstaged += rest[1] != "."
        elif kind == "?":
            untracked += 1
        elif kind == "u":
            conflicted += 1
    return staged, unstaged, untracked, conflicted


def counts(status: WorkspaceStatus) -> tuple[int, int, int, int]:
    return status.staged, status.unstaged, status.untracked, len(status.conflicted)


def test_a_fresh_clone_is_clean_and_names_its_last_commit(
    workspaces: GitCliWorkspaces, alice: Git
) -> None:
    status = workspaces.status(WorkTree(alice.path))

    assert status.clean
    assert (status.branch, status.upstream, status.ahead, status.behind) == (
        "main",
        "origin/main",
        0,
        0,
    )
    commit = status.last_commit
    assert commit is not None
    assert commit.sha == alice.sha("HEAD")
    assert commit.subject == "Initial commit"
    assert commit.author == "Test Author"
    assert commit.committed_at == datetime.fromtimestamp(
        int(alice("log", "-1", "--format=%ct")), tz=UTC
    )
    assert commit.committed_at.tzinfo is UTC


def test_status_counts_staged_unstaged_and_untracked_like_git(
    workspaces: GitCliWorkspaces, alice: Git
) -> None:
    (alice.path / "README.md").write_text("changed, staged\n")
    (alice.path / "src" / "app.py").write_text("changed, not staged\n")
    (alice.path / "new.txt").write_text("staged new file\n")
    alice("add", "README.md", "new.txt")
    (alice.path / "new.txt").write_text("and changed again\n")  # staged and unstaged
    (alice.path / "scratch.txt").write_text("untracked\n")
    (alice.path / "notes").mkdir()
    (alice.path / "notes" / "a.md").write_text("an untracked folder counts once\n")
    alice("mv", "src/app.py", "src/main.py")  # a rename, staged

    status = workspaces.status(WorkTree(alice.path))

    assert counts(status) == git_counts(alice)
    assert counts(status) == (3, 2, 2, 0)
    assert not status.clean


def test_status_counts_ahead_and_behind_its_upstream(
    workspaces: GitCliWorkspaces, alice: Git, bob: Git
) -> None:
    bob.commit({"bob.txt": "1"}, "Bob 1")
    bob.commit({"bob.txt": "2"}, "Bob 2")
    bob("push", "-q")
    alice.commit({"alice.txt": "1"}, "Multi-line subject\n\nwith a body")
    alice("fetch", "-q")

    status = workspaces.status(WorkTree(alice.path))

    assert (status.ahead, status.behind) == (1, 2)
    assert status.last_commit is not None
    assert status.last_commit.subject == "Multi-line subject"
    assert "## main...origin/main [ahead 1, behind 2]" in alice("status", "-sb")


def test_status_lists_conflicted_paths(workspaces: GitCliWorkspaces, alice: Git) -> None:
    base = alice.sha("HEAD")
    alice.commit({"README.md": "ours\n"}, "Ours")
    alice("checkout", "-q", "-b", "other", base)
    alice.commit({"README.md": "theirs\n", "src/app.py": "theirs\n"}, "Theirs")
    alice("checkout", "-q", "main")
    alice("merge", "other", check=False)

    status = workspaces.status(WorkTree(alice.path))

    assert status.conflicted == ("README.md",)
    assert counts(status) == git_counts(alice)
    assert status.staged == 1  # src/app.py merged cleanly


def test_status_of_a_detached_head_has_no_branch(workspaces: GitCliWorkspaces, alice: Git) -> None:
    alice("checkout", "-q", "--detach", "HEAD")

    status = workspaces.status(WorkTree(alice.path))

    assert (status.branch, status.upstream) == (None, None)
    assert status.last_commit is not None


def test_status_of_a_branch_without_upstream(workspaces: GitCliWorkspaces, alice: Git) -> None:
    alice("checkout", "-q", "-b", "local-only")

    status = workspaces.status(WorkTree(alice.path))

    assert (status.branch, status.upstream, status.ahead, status.behind) == (
        "local-only",
        None,
        0,
        0,
    )


def test_status_of_an_empty_repository(workspaces: GitCliWorkspaces, tmp_path: Path) -> None:
    Git(tmp_path)("init", "-q", "-b", "main", "empty")
    (tmp_path / "empty" / "draft.txt").write_text("x")

    status = workspaces.status(WorkTree(tmp_path / "empty"))

    assert (status.branch, status.last_commit, status.untracked) == ("main", None, 1)


def test_status_uses_no_optional_locks(workspaces: GitCliWorkspaces, alice: Git) -> None:
    (alice.path / "README.md").touch()  # a stat change git would refresh in the index
    before = (alice.path / ".git" / "index").stat().st_mtime_ns

    workspaces.status(WorkTree(alice.path))

    assert (alice.path / ".git" / "index").stat().st_mtime_ns == before


@pytest.mark.parametrize("name", ["missing", "plain"])
def test_status_of_something_else_is_workspace_missing(
    workspaces: GitCliWorkspaces, tmp_path: Path, alice: Git, name: str
) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(WorkspaceMissing):
        workspaces.status(WorkTree(tmp_path / name))
    with pytest.raises(WorkspaceMissing):  # a folder inside a clone is not a work tree either
        workspaces.status(WorkTree(alice.path / "src"))
