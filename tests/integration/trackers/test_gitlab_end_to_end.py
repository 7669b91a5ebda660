"""A GitLab connection from end to end against the fake GitLab: added through AddTracker (and
`aiops tracker add --provider gitlab`), tested, and synced by SyncIssues into a real database."""

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
from tests.integration.trackers.fake_gitlab import EPOCH, TOKEN, FakeGitLab

PROJECT = "acme/platform/web"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        database_url=database_url,
        instance_path=tmp_path / "instance",
        workspace_root=tmp_path / "home",
        tracker_allow_private_networks=True,  # the fake GitLab listens on 127.0.0.1
    )


@pytest.fixture
def connection_id(app: Container, gitlab: FakeGitLab, gitlab_url: str) -> int:
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    project = app.create_project()(CreateProjectCommand(tenant="acme", slug="web", name="Web"))
    assert project.id is not None
    connection = app.add_tracker()(
        AddTrackerCommand(
            project_id=project.id, provider="gitlab", base_url=gitlab_url, key=PROJECT, token=TOKEN
        )
    )
    assert connection.id is not None
    return connection.id


def test_sync_issues_brings_a_gitlab_project_in_then_only_what_changed(
    app: Container, gitlab: FakeGitLab, connection_id: int
) -> None:
    for _ in range(250):
        gitlab.add_issue(PROJECT)
    sync = app.sync_issues()

    (first,) = sync(SyncIssuesCommand())
    gitlab.projects[PROJECT].issues[0].update(
        title="Renamed", updated_at="2026-01-02T00:00:00.000Z"
    )
    gitlab.add_issue(PROJECT, updated=EPOCH + timedelta(days=1, minutes=1))
    (second,) = sync(SyncIssuesCommand())
    issues = {i.remote.number: i for i in app.list_issues()(ListIssuesQuery(limit=500))}

    assert (first.created, first.requests, first.error) == (250, 3, None)
    assert (second.created, second.updated, second.requests, second.error) == (1, 1, 1, None)
    assert gitlab.list_requests()[-1].query["updated_after"] == "2026-01-01T04:09:58Z"
    assert len(issues) == 251
    assert issues["#1"].remote.title == "Renamed"
    assert issues["#10"].remote.state is IssueState.CLOSED
    assert {i.provider.value for i in issues.values()} == {"gitlab"}
    assert app.test_tracker()(connection_id) == f"{PROJECT}: 201 open issues"


def test_a_failing_gitlab_sync_is_recorded_and_loses_nothing(
    app: Container, gitlab: FakeGitLab, connection_id: int
) -> None:
    gitlab.add_issue(PROJECT)
    app.sync_issues()(SyncIssuesCommand())
    gitlab.token = "rotated"

    (failed,) = app.sync_issues()(SyncIssuesCommand())

    assert failed.error == "127.0.0.1: the token was refused"
    assert [i.remote.number for i in app.list_issues()(ListIssuesQuery())] == ["#1"]


def test_the_cli_adds_tests_and_syncs_a_gitlab_connection(
    tmp_path: Path, gitlab: FakeGitLab, gitlab_url: str
) -> None:
    for _ in range(120):
        gitlab.add_issue(PROJECT)
    cli = Cli(tmp_path, AIOPS_TRACKER_ALLOW_PRIVATE_NETWORKS="true")
    cli.ok("db", "upgrade")
    cli.ok("tenant", "create", "--slug", "acme", "--name", "Acme")
    cli.ok("project", "create", "--tenant", "acme", "--slug", "web", "--name", "Web")
    cli.ok(
        "tracker", "add", "--project-id", "1", "--provider", "gitlab", "--base-url", gitlab_url,
        "--key", PROJECT, "--token-stdin", stdin=TOKEN + "\n",
    )  # fmt: skip

    tested = cli.ok("tracker", "test", "1")
    synced = json.loads(cli.ok("sync-issues", "--json"))
    gitlab.token = "rotated"
    refused = cli.run("tracker", "test", "1")

    assert f"{PROJECT}: 96 open issues" in tested
    assert (synced[0]["created"], synced[0]["requests"], synced[0]["error"]) == (120, 2, None)
    assert len(cli.json("issues", "list")) == 100
    assert refused.returncode != 0
    assert "127.0.0.1: the token was refused" in refused.stderr
    assert TOKEN not in refused.stdout + refused.stderr
