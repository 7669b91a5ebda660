"""The issue-to-PR loop on the pages, in a real browser (issue 19): an issue's row shows its
pull request (a badge linking to it, checks, review) and its step's error, its menu offers
"Work on it" and "Open pull request", whose refusal comes back as a message; the dashboard's
card lists the user's open pull request; the project's auto flags are saved from its page.

The pull request and the step are stored in the server's database directly, as the sync and
the runner store them (the code host is not asked here: the end-to-end tests do that)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from aiops.adapters.sqlalchemy.engine import make_engine
from aiops.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from aiops.domain.model.pull_requests import (
    ChecksState,
    LoopStep,
    PullRequest,
    PullState,
    ReviewState,
    StepKind,
    StepState,
)
from aiops.domain.model.trackers import Issue, IssueState, Provider, RemoteIssue
from tests.browser.conftest import LiveServer
from tests.browser.test_admin_trackers import sign_in

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PR_URL = "https://github.com/acme/web/pull/7"


@pytest.fixture(scope="module")
def live_server_env() -> dict[str, str]:
    return {"AIOPS_TRACKER_ALLOW_PRIVATE_NETWORKS": "true", "AIOPS_PR_LOOP_POLL_SECONDS": "0"}


def seed_project(page: Any, live_server: LiveServer) -> None:
    """Tenant acme, project Web, its GitHub connection (never asked: nothing listens there)."""
    page.click("nav >> text=Admin")
    page.fill("input[name=slug]", "acme")
    page.fill("input[name=name]", "Acme")
    page.click("text=Create tenant")
    page.click(".subnav >> text=Projects")
    page.select_option("select[name=tenant]", "acme")
    page.fill("input[name=slug]", "web")
    page.fill("input[name=name]", "Web")
    page.click("text=Create project")
    page.click(".subnav >> text=Trackers")
    option = page.locator("select[name=project_id] option", has_text="acme/web")
    page.select_option("select[name=project_id]", option.get_attribute("value"))
    page.select_option("select[name=provider]", "github")
    page.fill("input[name=base_url]", "http://127.0.0.1:9")
    page.fill("input[name=key]", "acme/web")
    page.fill("form[action='/admin/trackers'] input[name=token]", "a-token")
    page.click("text=Add connection")
    assert "Tracker connection 1 added (acme/web)." in page.inner_text("main")


def seed_loop(live_server: LiveServer) -> tuple[int, int]:
    """Issue #12 with the admin's open pull request #7 and its comment step retrying; the
    project's and the issue's ids."""
    database = Path(live_server.env["AIOPS_INSTANCE_PATH"]) / "aiops.db"
    owner = database.stat()
    engine = make_engine(f"sqlite:///{database}")
    remote = RemoteIssue(
        external_id="12", number="#12", title="Disk full on db-1", body="", state=IssueState.OPEN,
        labels=(), url="https://github.com/acme/web/issues/12", created_at=T0, updated_at=T0,
    )  # fmt: skip
    try:
        with SqlAlchemyUnitOfWork(engine) as uow:
            tenant = uow.tenants.get_by_slug("acme")
            assert tenant is not None
            assert tenant.id is not None
            project = uow.projects.get_by_slug(tenant.id, "web")
            assert project is not None
            assert project.id is not None
            (connection,) = uow.trackers.list(project.id)
            admin = uow.users.get_by_email(live_server.admin_email)
            assert connection.id is not None
            assert admin is not None
            assert admin.id is not None
            uow.issues.add_many(
                [Issue(connection_id=connection.id, project_id=project.id,
                       provider=Provider.GITHUB, remote=remote)]
            )  # fmt: skip
            (issue,) = uow.issues.for_connection(connection.id).values()
            assert issue.id is not None
            pull = uow.pull_requests.add(
                PullRequest(
                    project_id=project.id, connection_id=connection.id, provider=Provider.GITHUB,
                    issue_id=issue.id, user_id=admin.id, number=7, url=PR_URL,
                    head="aiops/12-disk-full-on-db-1", base="main", title="Disk full on db-1",
                    state=PullState.OPEN, review=ReviewState.CHANGES_REQUESTED,
                    checks=ChecksState.FAILING, checks_summary="1 passing, 1 failing",
                    created_at=T0, updated_at=T0,
                )
            )  # fmt: skip
            uow.loop_steps.add(
                LoopStep(
                    kind=StepKind.COMMENT, key=f"comment:pr:{pull.id}:opened",
                    pull_request_id=pull.id, state=StepState.PENDING, attempts=1,
                    last_error="GitHub answered 502", created_at=T0,
                    next_attempt_at=datetime.now(UTC) + timedelta(hours=1),
                )
            )  # fmt: skip
            uow.commit()
    finally:
        engine.dispose()
        for suffix in ("-wal", "-shm"):  # the server's files stay the server's
            journal = database.with_name(database.name + suffix)
            if journal.exists():
                os.chown(journal, owner.st_uid, owner.st_gid)
    return project.id, issue.id


def test_the_loop_on_the_issues_view_the_dashboard_and_the_project_page(
    page: Any, live_server: LiveServer
) -> None:
    sign_in(page, live_server)
    seed_project(page, live_server)
    project_id, issue_id = seed_loop(live_server)

    page.goto(live_server.base_url + "/issues")
    row = page.locator(f"#issue-{issue_id}")
    badge = row.locator(".pr-badge")
    assert badge.locator("a").get_attribute("href") == PR_URL
    assert " ".join(badge.inner_text().split()) == "PR #7 open ✗ changes"
    assert row.locator(".pr-trouble-badge").get_attribute("aria-label") == "comment retrying"
    assert row.locator(".pr-trouble").inner_text() == "GitHub answered 502"
    assert badge.is_visible()  # first in the one-line cell, never cut off
    row.locator("details.row-menu summary").click()
    assert row.get_by_role("button", name="Work on it").is_visible()
    row.locator("input[name=draft]").check()
    row.get_by_role("button", name="Open pull request").click()
    page.wait_for_url(live_server.base_url + "/issues")
    said = page.locator(".flash-error").inner_text()
    assert said.startswith("Pull request: ")
    assert "start work" in said  # the admin has no worktree for the issue yet
    page.screenshot(path=str(page.output / "1-issues.png"), full_page=True)

    page.click("nav >> text=Dashboard")
    card = page.locator(f"#project-{project_id}")
    assert card.locator(".card-pulls a").get_attribute("href") == PR_URL

    page.goto(f"{live_server.base_url}/admin/projects/{project_id}")
    page.check("input[name=auto_pull_request]")
    page.click("text=Save")
    assert "Project web saved." in page.inner_text("main")
    page.goto(f"{live_server.base_url}/admin/projects/{project_id}")
    assert page.is_checked("input[name=auto_pull_request]")
    assert not page.is_checked("input[name=auto_review_to_agent]")
