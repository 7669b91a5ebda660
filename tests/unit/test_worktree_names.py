"""Worktree names: an issue's branch and a branch's folder are always valid, bounded, and
under the root."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops.domain.errors import ValidationError
from aiops.domain.model import validation
from aiops.domain.model.users import User
from aiops.domain.model.workspaces import WorkspacePolicy
from aiops.domain.model.worktrees import (
    ISSUE_SLUG_MAX,
    Losses,
    WorktreeDirty,
    branch_segment,
    issue_branch,
    issue_key_slug,
    worktree_path,
)

POLICY = WorkspacePolicy(root=PurePosixPath("/home"), linux_user_strategy="direct")
IVO = User(email="ivo@example.com", name="Ivo", username="ivo")


@pytest.mark.parametrize(
    ("provider", "number", "title", "slug"),
    [
        ("github", "#12", "Fix login", "gh-12-fix-login"),
        ("gitlab", "#3", "Crash on: save / load!", "gl-3-crash-on-save-load"),
        ("jira", "OPS-7", "Disk full on db1", "ops-7-disk-full-on-db1"),
        ("github", "#12", "", "gh-12"),
        ("github", "#12", "Ünïcödé façade", "gh-12-unicode-facade"),
        ("github", "#12", "日本語", "gh-12"),
        (
            "github",
            "#4711",
            "A very long title that goes on and on about the login page failing",
            "gh-4711-a-very-long-title-that-goes-on-and-on",
        ),
    ],
)
def test_an_issue_slug_is_its_key_and_the_first_words_of_its_title(
    provider: str, number: str, title: str, slug: str
) -> None:
    assert issue_key_slug(provider, number, title) == slug


def test_an_issue_branch_is_under_aiops() -> None:
    assert issue_branch("github", "#12", "Fix login") == "aiops/gh-12-fix-login"


def test_a_worktree_lives_outside_the_workspace_in_a_folder_named_after_its_branch() -> None:
    path = worktree_path(POLICY, IVO, "web", "aiops/gh-12-fix-login")
    assert path == PurePosixPath("/home/ivo/worktrees/web/aiops-gh-12-fix-login")


@pytest.mark.parametrize("branch", ["..", "-x", "a..b", "a b", "a:b", "", "x.lock"])
def test_an_invalid_branch_gets_no_folder(branch: str) -> None:
    with pytest.raises(ValidationError):
        worktree_path(POLICY, IVO, "web", branch)


@given(provider=st.sampled_from(["github", "gitlab", "jira"]), number=st.text(), title=st.text())
def test_an_issue_slug_is_always_a_valid_bounded_slug_and_branch(
    provider: str, number: str, title: str
) -> None:
    slug = issue_key_slug(provider, number, title)
    assert len(slug) <= ISSUE_SLUG_MAX
    assert validation.slug(slug) == slug
    branch = issue_branch(provider, number, title)
    assert validation.branch(branch) == branch
    assert branch_segment(branch) == branch.replace("/", "-")


@given(branch=st.text(min_size=1, max_size=300))
def test_a_branch_folder_is_one_segment_under_the_users_worktrees(branch: str) -> None:
    try:
        validation.branch(branch)
    except ValidationError:
        return
    path = worktree_path(POLICY, IVO, "web", branch)
    assert path.parent == PurePosixPath("/home/ivo/worktrees/web")
    assert validation.slug(path.name) == path.name
    assert ".." not in path.parts


def test_the_dirty_refusal_names_the_files_and_the_commits() -> None:
    error = WorktreeDirty(
        "/home/ivo/worktrees/web/spike",
        Losses(files=("b.py", "a.py"), commits=("abc1234 Fix it", "def5678 Try")),
    )
    assert error.files == ("b.py", "a.py")
    assert "uncommitted changes in a.py, b.py" in error.message
    assert "2 unpushed commits (abc1234 Fix it, def5678 Try)" in error.message
    assert not Losses()
