"""`aiops worktree add | list | remove` end to end: subprocesses, a real remote, and the git
CLI as the witness."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.integration.git.conftest import Git
from tests.integration.test_cli import Cli
from tests.integration.test_cli_git import WHO, cli, project_id, remote

__all__ = ["cli", "remote"]


def test_add_list_and_remove_a_worktree(cli: Cli, tmp_path: Path) -> None:
    pid = project_id(cli)

    added = json.loads(
        cli.ok("worktree", "add", *WHO, pid, "--branch", "spike", "--from", "origin/feature",
               "--json")
    )  # fmt: skip

    path = tmp_path / "home" / "ivo" / "worktrees" / "web" / "spike"
    main = Git(tmp_path / "home" / "ivo" / "workspace" / "web")
    tree = Git(path)
    assert (added["created"], added["worktree"]["path"]) == (True, str(path))
    assert tree("branch", "--show-current").strip() == "spike"
    assert tree.sha("HEAD") == main.sha("origin/feature")
    assert main.porcelain() == ""  # the main workspace stays clean
    again = cli.ok("worktree", "add", *WHO, pid, "--branch", "spike")
    assert f"already there: spike at {path}" in again

    tree.commit({"work.txt": "w\n"}, "Work")
    (path / "notes.txt").write_text("n\n")
    [listed] = cli.json("worktree", "list", "--project-id", pid)
    assert (listed["worktree"]["branch"], listed["unpushed"]) == ("spike", 1)
    assert listed["status"]["untracked"] == 1
    table = cli.ok("worktree", "list")
    assert "1 untracked, 1 unpushed" in table

    wid = str(added["worktree"]["id"])
    refused = cli.run("worktree", "remove", wid)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1
    assert "uncommitted changes in notes.txt" in refused.stderr
    assert "1 unpushed commit (" in refused.stderr
    assert (path / "notes.txt").exists()

    removed = cli.ok("worktree", "remove", wid, "--force")
    assert f"removed: {path} (branch spike kept)" in removed
    assert not path.exists()
    assert main("branch", "--list", "spike").strip() == "spike"
    assert cli.json("worktree", "list") == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--branch", "-x"), "is not a valid git branch name"),
        (("--branch", "a", "--issue-id", "1"), "either an issue or a branch"),
        ((), "either an issue or a branch"),
        (("--issue-id", "99"), "issue 99 does not exist"),
        (("--branch", "x", "--from", "nope"), "no branch or commit 'nope'"),
        (("--branch", "main", "--from", "origin/main"), "already exists"),
    ],
)
def test_refusals_print_one_line_exit_1_and_leave_nothing(
    cli: Cli, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    pid = project_id(cli)
    cli.ok("init-workspace", *WHO, pid)
    main = Git(tmp_path / "home" / "ivo" / "workspace" / "web")
    before = main.snapshot()

    result = cli.run("worktree", "add", *WHO, pid, *args)

    assert result.returncode == 1, result.stdout
    assert result.stderr.count("\n") == 1
    assert message in result.stderr
    assert main.snapshot() == before
    assert main("worktree", "list").count("\n") == 1
    assert cli.json("worktree", "list") == []


def test_removing_an_unknown_worktree_is_one_line(cli: Cli) -> None:
    result = cli.run("worktree", "remove", "42")
    assert result.returncode == 1
    assert result.stderr.strip() == "aiops: error: worktree 42 does not exist"


def test_a_worktree_whose_folder_went_is_made_again_on_its_kept_branch(
    cli: Cli, tmp_path: Path
) -> None:
    pid = project_id(cli)
    cli.ok("worktree", "add", *WHO, pid, "--branch", "spike")
    path = tmp_path / "home" / "ivo" / "worktrees" / "web" / "spike"
    work = Git(path).commit({"w.txt": "w\n"}, "Work")
    shutil.rmtree(path)

    again = cli.ok("worktree", "add", *WHO, pid, "--branch", "spike")

    assert "already there: spike" in again
    assert Git(path).sha("HEAD") == work
    assert Git(path).porcelain() == ""
