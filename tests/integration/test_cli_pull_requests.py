"""`aiops issue work` and `aiops pr open | list | review-to-agent` in subprocesses (issue 19),
on a real git remote and the fake GitHub over real HTTP: the pull request opened once and
reused, listed as JSON and as a table; each refusal one line on stderr, exit 1 (usage: 2),
and no write reaches the tracker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.git.conftest import Git, make_remote
from tests.integration.test_cli import Cli
from tests.integration.trackers.conftest import github, github_url
from tests.integration.trackers.fake_github import TOKEN, FakeGitHub

__all__ = ["github", "github_url"]

IVO = ("--user-email", "ivo@example.com")


@pytest.fixture
def cli(tmp_path: Path, sqlite_template: Path, github: FakeGitHub, github_url: str) -> Cli:
    """acme/web with a real remote, ivo its member, the fake GitHub's acme/web as its tracker
    and issue #1 synced."""
    remote = make_remote(tmp_path)
    cli = Cli(tmp_path, AIOPS_WORKSPACE_ROOT=str(tmp_path / "home"),
              AIOPS_TRACKER_ALLOW_PRIVATE_NETWORKS="true")  # fmt: skip
    cli.start_upgraded(sqlite_template)
    cli.ok("tenant", "create", "--slug", "acme", "--name", "Acme")
    cli.ok("project", "create", "--tenant", "acme", "--slug", "web", "--name", "Web",
           "--repo-url", str(remote))  # fmt: skip
    cli.ok("user", "create", "--email", "ivo@example.com", "--name", "Ivo")
    cli.ok("member", "add", "--tenant", "acme", "--email", "ivo@example.com", "--role", "member")
    cli.ok(
        "tracker", "add", "--project-id", "1", "--provider", "github", "--base-url", github_url,
        "--key", "acme/web", "--token-stdin", stdin=TOKEN + "\n",
    )  # fmt: skip
    github.add_issue("acme/web")
    cli.ok("sync-issues")
    return cli


def writes(github: FakeGitHub) -> list[str]:
    return [f"{r.method} {r.path}" for r in github.requests if r.method != "GET"]


REFUSALS = [
    (("pr", "open", "--issue-id", "99"), 1, "issue 99 does not exist"),
    (("pr", "open", "--issue-id", "1", *IVO), 1, "start work first"),
    (("pr", "open", "--issue-id", "1", "--user-email", "nobody@example.com"), 1, "nobody"),
    (("pr", "open"), 2, "--issue-id"),
    (("pr", "review-to-agent", "99"), 1, "pull request 99 does not exist"),
    (("pr", "review-to-agent", "x"), 2, "PR_ID"),
    (("pr", "list", "--project-id", "x"), 2, "--project-id"),
    (("pr", "list", "--project-id", "99"), 1, "99"),
    (("issue", "work", "99", *IVO, "--tool", "codex"), 1, "issue 99 does not exist"),
    (("issue", "work", "1", *IVO, "--tool", "vim"), 1, "vim"),
    (("issue", "work", "1", "--tool", "codex"), 2, "--user-email"),
]


def test_refusals_print_one_line_and_write_nothing(cli: Cli, github: FakeGitHub) -> None:
    """One instance for all of them (each command is a subprocess): what one refusal left
    behind would show in the next ones' checks."""
    for args, code, message in REFUSALS:
        result = cli.run(*args)

        assert result.returncode == code, (args, result.stdout + result.stderr)
        assert message in result.stderr, args
        if code == 1:
            assert result.stderr.count("\n") == 1, result.stderr
    assert writes(github) == []
    [issue] = cli.json("issues", "list")
    assert issue["triage_status"] == "new"


def test_an_issue_branch_without_new_commits_has_nothing_to_propose(
    cli: Cli, github: FakeGitHub, tmp_path: Path
) -> None:
    cli.ok("worktree", "add", *IVO, "--project-id", "1", "--issue-id", "1")

    refused = cli.run("pr", "open", "--issue-id", "1")

    assert refused.returncode == 1
    assert "nothing to propose" in refused.stderr
    assert writes(github) == []
    assert json.loads(cli.ok("pr", "list", "--json")) == {"pull_requests": []}
    listed = cli.run("pr", "list")
    assert (listed.returncode, listed.stdout) == (0, "")
    assert "no pull requests" in listed.stderr


def commit_in_issue_tree(tmp_path: Path, message: str) -> Git:
    tree = Git(tmp_path / "home" / "ivo" / "worktrees" / "web" / "aiops-gh-1-issue-1")
    tree.commit({"fix.txt": message + "\n"}, message)
    return tree


def test_open_a_pull_request_once_and_list_it(cli: Cli, github: FakeGitHub, tmp_path: Path) -> None:
    cli.ok("worktree", "add", *IVO, "--project-id", "1", "--issue-id", "1")
    commit_in_issue_tree(tmp_path, "Free the disk (#1)")

    opened = json.loads(cli.ok("pr", "open", "--issue-id", "1", "--json"))
    again = cli.ok("pr", "open", "--issue-id", "1")
    listed = json.loads(cli.ok("pr", "list", "--project-id", "1", "--json"))
    table = cli.ok("pr", "list")

    pull, step = opened["pull_request"], opened["step"]
    assert (pull["head"], pull["base"], pull["state"]) == ("aiops/gh-1-issue-1", "main", "open")
    assert (step["state"], step["result"]) == ("done", pull["url"])
    assert f"pull request #{pull['number']} open: {pull['url']}" in again
    assert listed == {
        "pull_requests": [pull | {"updated_at": listed["pull_requests"][0]["updated_at"]}]
    }
    assert table.splitlines()[0].split()[:5] == ["ID", "PROJECT_ID", "ISSUE_ID", "NUMBER", "STATE"]
    assert pull["url"] in table
    assert [w.split(" ", 1)[0] for w in writes(github)] == ["POST", "POST"]  # the PR, the comment
    [remote] = github.pulls["acme/web"].values()
    assert "Closes #1" in str(remote["body"])
    assert len(github.issue_comments("acme/web", 1)) == 1
    nothing = cli.run("pr", "review-to-agent", str(pull["id"]))
    assert nothing.returncode == 1
    assert "nothing to send" in nothing.stderr

    github.merge("acme/web", pull["number"])
    synced = cli.run("sync-issues")
    [merged] = json.loads(cli.ok("pr", "list", "--json"))["pull_requests"]
    assert "pull requests: 1 refreshed" in synced.stderr
    assert merged["state"] == "merged"
