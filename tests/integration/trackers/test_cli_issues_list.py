"""`aiops issues list`: the Issues page's filters and pages from the terminal, against issues
synced from the fake GitHub over real HTTP (subprocesses).

The fake's issue n is closed when n % 5 == 0, labelled bug when n is odd, assigned to alice
when n % 3 == 0, and updated n minutes after the epoch: newest first is 12, 11, ... 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.test_cli import Cli
from tests.integration.trackers import fake_github
from tests.integration.trackers.fake_github import FakeGitHub

ISSUES = 12


@pytest.fixture
def cli(tmp_path: Path, sqlite_template: Path) -> Cli:
    cli = Cli(
        tmp_path, AIOPS_TRACKER_ALLOW_PRIVATE_NETWORKS="true", AIOPS_INCIDENT_LABELS="sev,bug"
    )
    cli.start_upgraded(sqlite_template)
    cli.ok("tenant", "create", "--slug", "acme", "--name", "Acme")
    cli.ok("project", "create", "--tenant", "acme", "--slug", "web", "--name", "Web")
    return cli


@pytest.fixture
def synced(cli: Cli, github: FakeGitHub, github_url: str) -> Cli:
    cli.ok(
        "tracker", "add", "--project-id", "1", "--provider", "github", "--base-url", github_url,
        "--key", "acme/web", "--token-stdin", stdin=fake_github.TOKEN + "\n",
    )  # fmt: skip
    for _ in range(ISSUES):
        github.add_issue("acme/web")
    cli.ok("sync-issues")
    return cli


def numbers(cli: Cli, *args: str) -> list[int]:
    return [int(str(issue["number"]).lstrip("#")) for issue in cli.json("issues", "list", *args)]


def test_pages_of_limit_issues_newest_first_and_all_of_them(synced: Cli) -> None:
    first = synced.run("issues", "list", "--limit", "5")
    last = numbers(synced, "--limit", "5", "--page", "3")
    beyond = numbers(synced, "--limit", "5", "--page", "4")
    every = numbers(synced, "--limit", "5", "--all")

    assert first.returncode == 0, first.stderr
    assert [line.split()[2] for line in first.stdout.splitlines()[1:]] == [
        "#12", "#11", "#10", "#9", "#8",
    ]  # fmt: skip
    assert first.stderr == (
        "page 1 of 3 (12 issues): --page 2 for the next, --all for every page\n"
    )
    assert last == [2, 1]
    assert beyond == []
    assert every == list(range(ISSUES, 0, -1))
    assert numbers(synced) == every  # the default: one page of 100


def test_the_pages_filters_narrow_the_list(synced: Cli) -> None:
    assert numbers(synced, "--state", "closed") == [10, 5]
    assert numbers(synced, "--label", "bug") == [11, 9, 7, 5, 3, 1]
    assert numbers(synced, "--incidents") == [11, 9, 7, 5, 3, 1]  # labelled bug: an incident
    assert numbers(synced, "--state", "open", "--label", "bug", "--assignee", "alice") == [9, 3]
    assert numbers(synced, "--search", "Issue 12") == [12]
    assert sorted(numbers(synced, "--tenant", "acme", "--project-id", "1")) == list(
        range(1, ISSUES + 1)
    )
    assert numbers(synced, "--project-id", "2") == []


def test_json_carries_every_field(synced: Cli) -> None:
    issue = synced.json("issues", "list", "--limit", "1")[0]

    assert issue == {
        "id": issue["id"],
        "project_id": 1,
        "connection_id": 1,
        "provider": "github",
        "external_id": issue["external_id"],
        "number": "#12",
        "state": "open",
        "title": "Issue 12",
        "body": "Body of 12",
        "labels": [],
        "assignees": ["alice"],
        "url": "https://github.example/acme/web/issues/12",
        "created_at": "2026-01-01T00:00:00+00:00",
        "updated_at": "2026-01-01T00:12:00+00:00",
        "triage_status": "new",
        "severity": None,
        "owner_id": None,
        "note": "",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--limit", "0"), "limit: must be 1-100 (--all for every page)"),
        (("--limit", "101"), "limit: must be 1-100 (--all for every page)"),
        (("--page", "0"), "page: pages are 1 or more"),
        (("--all", "--page", "2"), "page: --all lists every page: leave --page out"),
        (("--state", "shut"), "state: 'shut' is not one of open, closed, removed"),
        (("--severity", "high"), "severity: 'high' is not one of sev1, sev2, sev3, sev4"),
        (("--sort", "random"), "sort: use one of updated, created, severity, number"),
        (("--tenant", "nope"), "tenant 'nope' does not exist"),
    ],
)
def test_bad_values_are_one_line_and_exit_1(cli: Cli, args: tuple[str, ...], message: str) -> None:
    result = cli.run("issues", "list", *args)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"aiops: error: {message}")
    assert result.stderr.count("\n") == 1
