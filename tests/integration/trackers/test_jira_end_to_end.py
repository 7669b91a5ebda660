"""Jira through the real container: SyncIssues on SQLite against the fake Jira (Cloud and
Server), and `aiops tracker test` / `aiops sync-issues` in a subprocess."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from aiops.config import Settings, load_settings
from aiops.container import Container
from aiops.domain.model.trackers import IssueState
from aiops.domain.usecases.projects import CreateProjectCommand
from aiops.domain.usecases.sync_issues import ListIssuesQuery, SyncIssuesCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.trackers import AddTrackerCommand
from tests.integration.test_cli import Cli
from tests.integration.trackers.fake_jira import CLOUD_TOKEN, EPOCH, FakeJira

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        database_url=database_url,
        instance_path=tmp_path / "instance",
        workspace_root=tmp_path / "home",
        tracker_allow_private_networks=True,  # the fake Jira listens on 127.0.0.1
    )


def connect(app: Container, jira: FakeJira, jira_url: str) -> int:
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    project = app.create_project()(CreateProjectCommand(tenant="acme", slug="ops", name="Ops"))
    assert project.id is not None
    connection = app.add_tracker()(
        AddTrackerCommand(
            project_id=project.id, provider="jira", base_url=jira_url, key="OPS", token=jira.token
        )
    )
    assert connection.id is not None
    return connection.id


@SQLITE
@pytest.mark.parametrize("jira", ["cloud", "server"], indirect=True)
def test_sync_issues_brings_jira_issues_in_then_only_what_changed(
    app: Container, jira: FakeJira, jira_url: str
) -> None:
    connect(app, jira, jira_url)
    for _ in range(120):
        jira.add_issue("OPS")
    sync = app.sync_issues()

    (first,) = sync(SyncIssuesCommand())
    reopened = jira.issues["OPS"][4]  # OPS-5, done until now
    reopened.update(done=False, updated=EPOCH + timedelta(hours=5))
    (second,) = sync(SyncIssuesCommand())
    issues = {i.remote.number: i for i in app.list_issues()(ListIssuesQuery(limit=200))}

    assert (first.error, first.created, first.requests) == (None, 120, 3)
    assert (second.error, second.created, second.updated) == (None, 0, 1)
    assert second.unchanged == 2  # OPS-119 and OPS-120: JQL's minute re-lists them
    assert second.requests == 2  # /myself once, then one page
    assert issues["OPS-5"].remote.state is IssueState.OPEN
    assert issues["OPS-10"].remote.state is IssueState.CLOSED
    assert issues["OPS-3"].remote.body == "Body of 3"
    assert issues["OPS-3"].remote.url == f"{jira_url}/browse/OPS-3"
    assert '"OPS" AND updated >= ' in jira.searches()[-1].query["jql"]


@pytest.fixture
def cli(tmp_path: Path, sqlite_template: Path, jira: FakeJira, jira_url: str) -> Cli:
    cli = Cli(tmp_path, AIOPS_TRACKER_ALLOW_PRIVATE_NETWORKS="true")
    cli.start_upgraded(sqlite_template)
    cli.ok("tenant", "create", "--slug", "acme", "--name", "Acme")
    cli.ok("project", "create", "--tenant", "acme", "--slug", "ops", "--name", "Ops")
    cli.ok(
        "tracker", "add", "--project-id", "1", "--provider", "jira", "--base-url", jira_url,
        "--key", "OPS", "--token-stdin", stdin=CLOUD_TOKEN + "\n",
    )  # fmt: skip
    return cli


def test_tracker_test_and_sync_issues_talk_to_jira(cli: Cli, jira: FakeJira) -> None:
    for _ in range(3):
        jira.add_issue("OPS")

    tested = cli.ok("tracker", "test", "1")
    (run,) = json.loads(cli.ok("sync-issues", "--json"))
    listed = cli.json("issues", "list")

    assert "OPS: Operations" in tested
    assert (run["created"], run["error"]) == (3, None)
    assert sorted(i["number"] for i in listed) == ["OPS-1", "OPS-2", "OPS-3"]
    assert jira.schemes[0] == "Basic bot@acme.example"


def test_a_refused_jira_token_is_reported_without_showing_it(cli: Cli, jira: FakeJira) -> None:
    jira.mode = "server"  # expects a Bearer token now: the stored Cloud one is refused

    failed = cli.run("tracker", "test", "1")

    assert failed.returncode == 1
    assert "127.0.0.1: the token was refused" in failed.stderr
    assert CLOUD_TOKEN not in failed.stderr + failed.stdout
    assert "atl-fake-api-token" not in failed.stderr + failed.stdout
