"""Branch names: rejected before any git call, and validation.branch agrees with git."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from aiops.adapters.git import GitCliWorkspaces
from aiops.domain.errors import ValidationError
from aiops.domain.model import validation
from aiops.ports.git_workspaces import WorkTree

from .conftest import GIT_ENV, NO_ACCESS

BAD_NAMES = ["-f", "--force", "", "a..b", "a b", "topic.lock", "@", "x@{1}", "a:b", "/main", "a~1"]

Call = Callable[[GitCliWorkspaces, Path, str], object]
CALLS: dict[str, Call] = {
    "checkout": lambda w, p, name: w.checkout(WorkTree(p), name),
    "create_branch": lambda w, p, name: w.create_branch(WorkTree(p), name, None),
    "create_branch base": lambda w, p, name: w.create_branch(WorkTree(p), "ok", name),
    "merge": lambda w, p, name: w.merge(WorkTree(p), name),
    "clone": lambda w, p, name: w.clone("/nowhere.git", WorkTree(p), branch=name, access=NO_ACCESS),
}


@pytest.mark.parametrize("name", BAD_NAMES)
@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_a_bad_branch_name_is_refused_before_any_git_call(
    workspaces: GitCliWorkspaces, tmp_path: Path, call: Call, name: str
) -> None:
    # The path does not exist: a git or filesystem call would fail differently.
    with pytest.raises(ValidationError):
        call(workspaces, tmp_path / "no-workspace-here", name)
    assert not (tmp_path / "no-workspace-here").exists()


def git_accepts(name: str) -> bool:
    result = subprocess.run(
        ["git", "check-ref-format", "--branch", name],
        capture_output=True,
        env=GIT_ENV,
        check=False,
        cwd="/",
    )
    return result.returncode == 0


def we_accept(name: str) -> bool:
    try:
        validation.branch(name)
    except ValidationError:
        return False
    return True


NAME_CHARACTERS = st.sampled_from([*"abZ0é/.-@{}~^: *?[\\\t\x00\x01\x7f", "lock"])


@settings(max_examples=200)
@given(st.lists(NAME_CHARACTERS, min_size=1, max_size=8).map("".join))
@example("-leading-dash")  # git accepts it; we refuse it on purpose (an option to git)
@example("@")  # git accepts it; we refuse it on purpose (it means HEAD in a revision)
@example("HEAD")
@example("main")
@example("a.lock/b")
@example("@{-1}")
def test_validation_agrees_with_git_check_ref_format(name: str) -> None:
    if "\x00" in name:  # an argv cannot carry NUL: git never sees such a name
        assert not we_accept(name)
        return
    if name.startswith("-") or name == "@":
        assert not we_accept(name)
        return
    assert we_accept(name) == git_accepts(name), name
