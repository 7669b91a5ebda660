"""An issue's link comes from the tracker: only an http(s) URL becomes a link on the Issues
page. The issues come from the fake GitHub over real HTTP, the page from the real app."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from aiops.config import Settings, load_settings
from aiops.container import Container
from aiops.domain.usecases.projects import CreateProjectCommand
from aiops.domain.usecases.sync_issues import SyncIssuesCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.trackers import AddTrackerCommand
from aiops.domain.usecases.users import CreateUserCommand, SetPasswordCommand
from aiops.entrypoints.http.app import create_app
from tests.integration.http.conftest import PASSWORD, sign_in
from tests.integration.trackers.fake_github import TOKEN, FakeGitHub

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        database_url=database_url,
        instance_path=tmp_path / "instance",
        workspace_root=tmp_path / "home",
        argon2_time_cost=2,
        argon2_memory_kib=19 * 1024,
        argon2_parallelism=1,
        tracker_allow_private_networks=True,  # the fake GitHub listens on 127.0.0.1
    )


@SQLITE
def test_only_http_links_from_the_tracker_are_rendered_as_links(
    app: Container, github: FakeGitHub, github_url: str
) -> None:
    urls = [
        "javascript:alert(document.domain)",
        " JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "https://github.example/acme/web/issues/4",
        "HTTP://github.example/acme/web/issues/5",
    ]
    for url in urls:
        github.add_issue("acme/web")["html_url"] = url
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    project = app.create_project()(CreateProjectCommand(tenant="acme", slug="web", name="Web"))
    assert project.id is not None
    app.add_tracker()(
        AddTrackerCommand(
            project_id=project.id,
            provider="github",
            base_url=github_url,
            key="acme/web",
            token=TOKEN,
        )
    )
    (run,) = app.sync_issues()(SyncIssuesCommand())
    assert (run.created, run.error) == (5, None)
    app.create_user()(CreateUserCommand(email="ada@example.com", name="Ada", is_admin=True))
    app.set_password()(SetPasswordCommand(email="ada@example.com", password=PASSWORD))

    with TestClient(create_app(app), follow_redirects=False) as client:
        sign_in(client, "ada@example.com")
        page = client.get("/issues").text

    assert "javascript:" not in page.lower()
    assert "data:text" not in page
    assert '<a href="https://github.example/acme/web/issues/4"' in page
    assert '<a href="HTTP://github.example/acme/web/issues/5"' in page
    # the number, as text: the cell starts with it (after the row's live session badges)
    badges = r'<span class="issue-sessions"[^>]*>[^<]*</span>'
    for number in ("#1", "#2", "#3"):
        assert re.search(rf'<td class="clip" title="[^"]*">{badges}{number} Issue', page), number
