"""`aiops init-workspace` and `aiops git ...` end to end: subprocesses, a real remote, and the
git CLI as the witness."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.git.conftest import Git, git_clone, make_remote
from tests.integration.test_cli import Cli

WHO = ("--user-email", "ivo@example.com", "--project-id")


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    return make_remote(tmp_path)


@pytest.fixture
def cli(tmp_path: Path, sqlite_template: Path, remote: Path) -> Cli:
    cli = Cli(tmp_path, AIOPS_WORKSPACE_ROOT=str(tmp_path / "home"))
    cli.start_upgraded(sqlite_template)
    cli.ok("tenant", "create", "--slug", "acme", "--name", "Acme")
    cli.ok(
        "project",
        "create",
        "--tenant",
        "acme",
        "--slug",
        "web",
        "--name",
        "Web",
        "--repo-url",
        str(remote),
    )
    cli.ok("user", "create", "--email", "ivo@example.com", "--name", "Ivo")
    cli.ok("member", "add", "--tenant", "acme", "--email", "ivo@example.com", "--role", "member")
    return cli


def project_id(cli: Cli) -> str:
    return str(cli.json("project", "list")[0]["id"])


def test_init_workspace_clones_once_and_reports_the_clone_after(cli: Cli, tmp_path: Path) -> None:
    first = cli.ok("init-workspace", *WHO, project_id(cli))
    second = cli.ok("init-workspace", *WHO, project_id(cli))

    path = tmp_path / "home" / "ivo" / "workspace" / "web"
    assert f"workspace cloned into {path}" in first
    assert f"workspace already initialized at {path}" in second
    assert "branch:      main -> origin/main" in second
    assert Git(path).porcelain() == ""
    Git(path).fsck()


def test_status_json_agrees_with_git(cli: Cli, tmp_path: Path) -> None:
    cli.ok("init-workspace", *WHO, project_id(cli))
    ws = Git(tmp_path / "home" / "ivo" / "workspace" / "web")
    ws.commit({"a.txt": "a\n"}, "Local work")
    (ws.path / "README.md").write_text("changed\n")
    (ws.path / "new.txt").write_text("new\n")

    status = json.loads(cli.ok("git", "status", *WHO, project_id(cli), "--json"))["status"]

    assert (status["branch"], status["ahead"], status["behind"]) == ("main", 1, 0)
    assert (status["unstaged"], status["untracked"]) == (1, 1)
    assert status["last_commit"]["sha"] == ws.sha("HEAD")
    assert sorted(ws.porcelain().splitlines()) == [" M README.md", "?? new.txt"]


def test_branch_commands_drive_the_workspace(cli: Cli, tmp_path: Path) -> None:
    pid = project_id(cli)
    cli.ok("init-workspace", *WHO, pid)
    ws = Git(tmp_path / "home" / "ivo" / "workspace" / "web")

    cli.ok("git", "create-branch", "topic", *WHO, pid, "--from", "origin/feature")
    topic = ws.sha("HEAD")
    cli.ok("git", "checkout", "main", *WHO, pid)
    merged = cli.ok("git", "merge", "topic", *WHO, pid)
    listed = cli.ok("git", "branches", *WHO, pid)

    assert "merge: fast forward" in merged
    assert ws.sha("main") == topic
    assert ws("branch", "--show-current").strip() == "main"
    assert listed.splitlines()[:2] == ["* main", "  topic"]
    assert "  origin/feature" in listed


def test_pull_and_push_through_the_remote(cli: Cli, tmp_path: Path, remote: Path) -> None:
    pid = project_id(cli)
    cli.ok("init-workspace", *WHO, pid)
    ws = Git(tmp_path / "home" / "ivo" / "workspace" / "web")
    other = git_clone(remote, tmp_path / "other")
    theirs = other.commit({"other.txt": "o\n"}, "Theirs")
    other("push", "-q", "origin", "main")

    pulled = cli.ok("git", "pull", *WHO, pid)
    mine = ws.commit({"mine.txt": "m\n"}, "Mine")
    cli.ok("git", "push", *WHO, pid)

    assert "pull: fast forward" in pulled
    assert ws("merge-base", "--is-ancestor", theirs, "HEAD", check=False) == ""
    assert Git(remote).sha("main") == mine


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("git", "checkout", *WHO, "{pid}", "--", "-x"), "is not a valid git branch name"),
        (("git", "checkout", "nope", *WHO, "{pid}"), "no branch"),
        (("git", "create-branch", "main", *WHO, "{pid}"), "already exists"),
    ],
)
def test_refusals_print_one_line_and_exit_1(
    cli: Cli, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    pid = project_id(cli)
    cli.ok("init-workspace", *WHO, pid)
    ws = Git(tmp_path / "home" / "ivo" / "workspace" / "web")
    before = ws.snapshot()

    result = cli.run(*(arg.format(pid=pid) for arg in args))

    assert result.returncode == 1, result.stdout
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("aiops: error: ")
    assert message in result.stderr
    assert ws.snapshot() == before


def test_status_of_a_missing_workspace_says_to_initialize_it(cli: Cli) -> None:
    result = cli.run("git", "status", *WHO, project_id(cli))

    assert result.returncode == 1
    assert "initialize it first" in result.stderr


def test_unknown_user_and_project_are_one_line_errors(cli: Cli) -> None:
    ghost = cli.run("git", "status", "--user-email", "ghost@example.com", "--project-id", "1")
    missing = cli.run("git", "status", *WHO, "999")

    assert ghost.returncode == missing.returncode == 1
    assert "user 'ghost@example.com' does not exist" in ghost.stderr
    assert "project 999 does not exist" in missing.stderr


def test_a_commit_subject_cannot_drive_the_terminal(cli: Cli, tmp_path: Path) -> None:
    """A commit pulled from a shared remote names its subject: OSC 52 in it wrote the
    clipboard of whoever ran `aiops git status` in tmux."""
    cli.ok("init-workspace", *WHO, project_id(cli))
    ws = Git(tmp_path / "home" / "ivo" / "workspace" / "web")
    ws.commit({"a.txt": "a\n"}, "\x1b]52;c;ZWNobyBwd25lZA==\x07Fix\x1b[2J it\rOK\x9b")

    shown = cli.raw("git", "status", *WHO, project_id(cli))
    exact = json.loads(cli.raw("git", "status", *WHO, project_id(cli), "--json").stdout)

    assert shown.returncode == 0, shown.stderr
    assert b"\x1b" not in shown.stdout + shown.stderr
    assert b"\r" not in shown.stdout
    assert b"\xc2\x9b" not in shown.stdout  # C1 CSI, as UTF-8
    assert rb"\x1b]52;c;ZWNobyBwd25lZA==\x07Fix\x1b[2J it\rOK\x9b (" in shown.stdout
    subject = exact["status"]["last_commit"]["subject"]
    assert subject == "\x1b]52;c;ZWNobyBwd25lZA==\x07Fix\x1b[2J it\rOK\x9b"


def test_status_imports_only_the_workspace_use_cases(cli: Cli, tmp_path: Path) -> None:
    """`aiops git status` finds the user and the project through the shared look-ups: no
    project, user or sign-in use case, no JSON converter, no cryptography (docs/adr/0002)."""
    from tests.integration.test_cli_startup import loaded_modules

    cli.ok("init-workspace", *WHO, project_id(cli))

    modules = loaded_modules(cli, tmp_path, "git", "status", *WHO, project_id(cli))

    use_cases = {m for m in modules if m.startswith("aiops.domain.usecases.")}
    assert use_cases == {
        "aiops.domain.usecases._audit",
        "aiops.domain.usecases._lookups",
        "aiops.domain.usecases._workspace",
        "aiops.domain.usecases.workspaces",
    }
    assert not {"cattrs", "cryptography", "yaml", "pydantic"} & {m.split(".")[0] for m in modules}
