"""`aiops sync-issues` in a subprocess against the fake GitHub over real HTTP: the first sync
brings every issue, an idle one costs one 304, and nothing synced is lost when the token fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.test_cli import Cli
from tests.integration.trackers.fake_github import TOKEN, FakeGitHub


@pytest.fixture
def cli(tmp_path: Path, sqlite_template: Path, github: FakeGitHub, github_url: str) -> Cli:
    cli = Cli(tmp_path, AIOPS_TRACKER_ALLOW_PRIVATE_NETWORKS="true")
    cli.start_upgraded(sqlite_template)
    cli.ok("tenant", "create", "--slug", "acme", "--name", "Acme")
    cli.ok("project", "create", "--tenant", "acme", "--slug", "web", "--name", "Web")
    cli.ok(
        "tracker", "add", "--project-id", "1", "--provider", "github", "--base-url", github_url,
        "--key", "acme/web", "--token-stdin", stdin=TOKEN + "\n",
    )  # fmt: skip
    return cli


def test_first_sync_then_an_idle_sync_answered_304(cli: Cli, github: FakeGitHub) -> None:
    for _ in range(120):
        github.add_issue("acme/web")
    github.add_issue("acme/web", pull_request=True)

    first = json.loads(cli.ok("sync-issues", "--json"))
    settling = json.loads(cli.ok("sync-issues", "--json"))  # the first incremental URL
    idle = json.loads(cli.ok("sync-issues", "--json"))
    issues = cli.json("issues", "list")
    tested = cli.ok("tracker", "test", "1")

    assert (first[0]["created"], first[0]["requests"], first[0]["error"]) == (120, 2, None)
    assert (settling[0]["created"], settling[0]["updated"], settling[0]["requests"]) == (0, 0, 1)
    assert (idle[0]["created"], idle[0]["unchanged"], idle[0]["requests"]) == (0, 0, 1)
    assert "if-none-match" in github.list_requests()[-1].headers  # answered 304: no issues
    assert len(issues) == 100  # the newest 100
    assert issues[0]["number"] == "#120"
    assert "acme/web" in tested


def test_a_refused_token_is_reported_and_loses_nothing(cli: Cli, github: FakeGitHub) -> None:
    github.add_issue("acme/web")
    cli.ok("sync-issues")
    github.token = "rotated"

    failed = cli.run("sync-issues")
    listed = cli.json("tracker", "list")

    assert failed.returncode == 1
    assert "github acme/web (#1): error: 127.0.0.1: the token was refused" in failed.stderr
    assert TOKEN not in failed.stderr + failed.stdout
    assert listed[0]["last_error"] == "127.0.0.1: the token was refused"
    assert len(cli.json("issues", "list")) == 1
